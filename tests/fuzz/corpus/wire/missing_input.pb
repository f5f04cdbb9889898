

xPlaceholder*
dtype0

rRelunope*
T0