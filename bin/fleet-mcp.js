#!/usr/bin/env node
// CommonJS (see bin/package.json): Node starts it without its ESM loader, a noticeable part of `--version`.
require('../dist/cli.js');
