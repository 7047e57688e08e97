#!/usr/bin/env node
// CommonJS (see bin/package.json): Node starts it without its ESM loader, a noticeable part of `--version`.
const { join } = require('node:path');
const loader = require('../dist/bundle-code-cache.js');
loader.enableNodeCompileCache();
loader.requireBundle(join(__dirname, '../dist/cli.js'));
