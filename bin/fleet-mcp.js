#!/usr/bin/env node
// CommonJS (see bin/package.json): Node starts it without its ESM loader, a noticeable part of `--version`.
// On Node >= 22.1 V8 keeps the compiled bundle in a cache (under the system temp dir), as TypeScript's tsc does.
require('node:module').enableCompileCache?.();
require('../dist/cli.js');
