#!/usr/bin/env node
// `netwright` command: runs the built CLI bundle (dist/main/cli.mjs; build it with `npm run build:js`).
const { pathToFileURL } = require('node:url');
const { join } = require('node:path');
const { existsSync } = require('node:fs');

const cli = join(__dirname, '..', 'dist', 'main', 'cli.mjs');
if (!existsSync(cli)) {
  console.error(`E_NOT_BUILT: ${cli} is missing: run \`npm run build:js\` first.`);
  process.exit(2);
}
import(pathToFileURL(cli).href);
