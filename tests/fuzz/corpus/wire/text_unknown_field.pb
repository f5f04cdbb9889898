node { nmae: "x" }
