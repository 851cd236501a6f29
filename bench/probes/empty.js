// The floor of every cold-start figure: a Node process that loads nothing.
'use strict';
process.exit(0);
