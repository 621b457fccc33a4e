#!/usr/bin/env node
'use strict';

// Runs the TypeScript CLI through tsx's CommonJS loader, so the repository needs no build step.
require('tsx/cjs');
const { main } = require('../cli/main.ts');

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
