// `node write-code-cache.mjs <bundle> [argv...]`: runs a bundle of the npm build as `node <bundle> argv...` would,
// and writes its V8 code cache when this Node exits (src/bundle-code-cache.ts, built beside it). A script of its own,
// not `node -e`: commander reads the command line of an `-e` differently.
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';

const [bundle, ...argv] = process.argv.slice(2);
const file = resolve(bundle);
createRequire(import.meta.url)(join(dirname(file), 'bundle-code-cache.js')).writeCodeCache(file, argv);
