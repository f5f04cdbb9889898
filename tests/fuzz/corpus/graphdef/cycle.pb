

xPlaceholder*
dtype0

aRelub*
T0

bRelua*
T0