
d
x