

xPlaceholder*
dtype0

rRelux:5*
T0