import { createHash } from 'node:crypto';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import * as nodeModule from 'node:module';
import { dirname, join } from 'node:path';
import { Script } from 'node:vm';
import { defaultCacheDir } from './paths.js';

/**
 * Where the build keeps a bundle's V8 code cache: beside it, written with it, trusted as the bundle is (whoever can
 * write one can write the other). The npm package ships none: a cache fits only the Node that made it.
 */
function codeCacheFile(bundle: string): string {
  return `${bundle}.cache`;
}

const DIGEST_BYTES = 32;

/**
 * The text V8 compiles: the bundle in the function require() wraps a CommonJS module in, whose first line
 * `lineOffset` takes back, so that stack traces name the bundle's own lines and columns.
 */
function wrappedSource(bundle: string): string {
  return `(function (exports, require, module, __filename, __dirname) {\n${readFileSync(bundle, 'utf8')}\n})`;
}

/** What a cache is made for: this text, compiled by this Node's V8. */
function digestOf(source: string): Buffer {
  return createHash('sha256').update(`${process.versions.v8}\0${process.arch}\0`).update(source).digest();
}

function compile(bundle: string, source: string, cachedData?: Buffer): Script {
  return new Script(source, { filename: bundle, lineOffset: -1, cachedData });
}

function run(bundle: string, script: Script): unknown {
  const module = { exports: {} as unknown };
  const start = script.runInThisContext() as (...args: unknown[]) => void;
  start.call(module.exports, module.exports, nodeModule.createRequire(bundle), module, bundle, dirname(bundle));
  return module.exports;
}

function readCacheFile(bundle: string): Buffer | undefined {
  try {
    return readFileSync(codeCacheFile(bundle));
  } catch {
    return undefined;
  }
}

/**
 * The V8 data of a cache file, if it was made from this very text by this V8: it starts with their digest. V8 checks
 * its own version and flags, but of the source only the length, so a cache left from an earlier build of the same
 * length would run that build's code.
 */
function cachedDataFor(file: Buffer, source: string): Buffer | undefined {
  return file.subarray(0, DIGEST_BYTES).equals(digestOf(source)) ? file.subarray(DIGEST_BYTES) : undefined;
}

/**
 * Where the build left no code cache of its own, as in an npm install, Node >= 22.1 keeps what V8 compiles in its
 * compile cache: under the user's cache dir, not Node's default in the system temp dir, where another user of the host
 * could plant compiled code first (Node checks neither the folder's owner nor its mode). Before any bundle loads.
 */
export function enableNodeCompileCache(): void {
  // Not in Node 20, nor in its types.
  const { enableCompileCache } = nodeModule as { enableCompileCache?: (directory: string) => unknown };
  enableCompileCache?.(join(defaultCacheDir(), 'node-compile-cache'));
}

/**
 * Loads a CommonJS bundle through the V8 code cache the build made of it, saving a server start about a quarter of
 * its CPU; without one, through require(), which Node >= 22.1 may serve from its own compile cache.
 */
export function requireBundle(bundle: string): unknown {
  // The npm package has no cache: there this costs one failed open.
  const file = readCacheFile(bundle);
  if (file) {
    const source = wrappedSource(bundle);
    const cachedData = cachedDataFor(file, source);
    if (cachedData) return run(bundle, compile(bundle, source, cachedData));
  }
  return nodeModule.createRequire(bundle)(bundle);
}

/**
 * For the build, in a Node of its own: unless the bundle has a cache for this text and this V8 already, runs it as
 * `node <bundle> ...argv` would, and when that Node exits writes the bundle's code cache, which then holds what the
 * run compiled as well as the top level. A script compiled here has at most an experimental loader for import(),
 * which warns (on Node 20, from a code cache, the full suite found none): the build refuses a cached bundle with one.
 */
export function writeCodeCache(bundle: string, argv: string[]): void {
  const source = wrappedSource(bundle);
  const file = readCacheFile(bundle);
  if (file && cachedDataFor(file, source)) return;
  const script = compile(bundle, source);
  // Only after a run that ended well: the next build would take a cache written after a failure as done.
  process.on('exit', (code) => {
    if (code !== 0) return;
    const temp = `${codeCacheFile(bundle)}.${process.pid}.tmp`;
    writeFileSync(temp, Buffer.concat([digestOf(source), script.createCachedData()]));
    renameSync(temp, codeCacheFile(bundle));
  });
  process.argv = [process.execPath, bundle, ...argv];
  run(bundle, script);
}
