

xPlaceholder*
dtype0

uMadeUpOpx