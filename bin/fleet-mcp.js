#!/usr/bin/env node
// CommonJS (see bin/package.json): Node starts it without its ESM loader, a noticeable part of `--version`.
// On Node >= 22.1 V8 keeps the compiled bundle in a cache (under the system temp dir), as TypeScript's tsc does, when
// the build left no code cache of its own beside it (src/bundle-code-cache.ts).
require('node:module').enableCompileCache?.();
require('../dist/bundle-code-cache.js').requireBundle(require('node:path').join(__dirname, '../dist/cli.js'));
