#!/usr/bin/env node
'use strict';
// In a checkout (src/ present) run the TypeScript sources through ts-node, so nothing stale is ever run;
// in a production image (dist/ only) run the compiled CLI.
const path = require('node:path');
const fs = require('node:fs');
const root = path.join(__dirname, '..');
const source = path.join(root, 'src', 'cli', 'main.ts');
if (fs.existsSync(source)) {
  require('ts-node').register({ transpileOnly: true, project: path.join(root, 'tsconfig.json') });
  require(source);
} else {
  require(path.join(root, 'dist', 'cli', 'main.js'));
}
