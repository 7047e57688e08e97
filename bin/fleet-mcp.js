#!/usr/bin/env node
// CommonJS (see bin/package.json): Node starts it without its ESM loader, a noticeable part of `--version`.
const { join } = require('node:path');
// Where the build left no code cache of its own (src/bundle-code-cache.ts), as in an npm install, Node >= 22.1 keeps
// what V8 compiles in its compile cache: under the user's cache dir, not Node's default in the system temp dir, where
// another user of the host could plant compiled code first (Node checks neither the folder's owner nor its mode).
const cacheHome = process.env.XDG_CACHE_HOME?.startsWith('/')
  ? process.env.XDG_CACHE_HOME
  : join(require('node:os').homedir(), '.cache');
require('node:module').enableCompileCache?.(join(cacheHome, 'fleet-mcp', 'node-compile-cache'));
require('../dist/bundle-code-cache.js').requireBundle(join(__dirname, '../dist/cli.js'));
