node { name: "x
