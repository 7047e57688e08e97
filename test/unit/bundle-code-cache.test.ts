import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { requireBundle } from '../../src/bundle-code-cache.js';
import { cleanupSandboxes, createSandbox } from '../helpers/sandbox.js';

const ROOT = resolve(import.meta.dirname, '../..');

afterAll(() => cleanupSandboxes());

/** A folder holding the loader as the build leaves it (dist/ is built by the global setup) and one bundle. */
function bundleFolder(source: string): string {
  const { root } = createSandbox();
  copyFileSync(join(ROOT, 'dist', 'bundle-code-cache.js'), join(root, 'bundle-code-cache.js'));
  const bundle = join(root, 'bundle.js');
  writeFileSync(bundle, source);
  return bundle;
}

/** What the build runs for each cached bundle. */
function writeCache(bundle: string, argv: string[] = []): void {
  execFileSync(process.execPath, [join(ROOT, 'scripts', 'write-code-cache.mjs'), bundle, ...argv]);
}

/** The digest a cache starts with, as the loader computes it: this V8 and arch, then the text V8 compiles. */
function digestFor(source: string): Buffer {
  const wrapped = `(function (exports, require, module, __filename, __dirname) {\n${source}\n})`;
  return createHash('sha256').update(`${process.versions.v8}\0${process.arch}\0`).update(wrapped).digest();
}

describe('loading a bundle through its V8 code cache', () => {
  it('runs the code the cache holds once the digest names the text: V8 itself checks only its length', () => {
    const bundle = bundleFolder('module.exports = { n: 1 };');
    writeCache(bundle);
    writeFileSync(bundle, 'module.exports = { n: 2 };');
    const cache = readFileSync(`${bundle}.cache`);
    writeFileSync(`${bundle}.cache`, Buffer.concat([digestFor('module.exports = { n: 2 };'), cache.subarray(32)]));
    expect(requireBundle(bundle)).toEqual({ n: 1 });
  });

  it('does not use a cache made from another text of the same length, an earlier build', () => {
    const bundle = bundleFolder('module.exports = { n: 1 };');
    writeCache(bundle);
    writeFileSync(bundle, 'module.exports = { n: 2 };');
    expect(requireBundle(bundle)).toEqual({ n: 2 });
  });

  it('gives the bundle its own file, folder and require, with or without a cache', () => {
    const source = "module.exports = { file: __filename, dir: __dirname, sep: require('node:path').sep };";
    const bundle = bundleFolder(source);
    const expected = { file: bundle, dir: resolve(bundle, '..'), sep: '/' };
    expect(requireBundle(bundle)).toEqual(expected);
    writeCache(bundle);
    expect(existsSync(`${bundle}.cache`)).toBe(true);
    expect(requireBundle(bundle)).toEqual(expected);
  });

  it("names the bundle's own line and column in a stack trace", () => {
    const bundle = bundleFolder("'use strict';\nmodule.exports = () => new Error('here').stack;");
    writeCache(bundle);
    expect((requireBundle(bundle) as () => string)()).toContain(`${bundle}:2:24`);
  });

  it('is not written after a run that fails, which the next build would take as done', () => {
    const bundle = bundleFolder("throw new Error('the run fails');");
    expect(() => writeCache(bundle)).toThrow(/the run fails/);
    expect(existsSync(`${bundle}.cache`)).toBe(false);
  });

  it('is made by the build for cli.js and server-commands.js, for this Node', () => {
    for (const file of ['cli.js', 'server-commands.js']) {
      const bundle = join(ROOT, 'dist', file);
      expect(readFileSync(`${bundle}.cache`).subarray(0, 32), file).toEqual(digestFor(readFileSync(bundle, 'utf8')));
    }
  });
});
