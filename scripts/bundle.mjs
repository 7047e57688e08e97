// One esbuild configuration for both shipped forms: the files the npm package runs, and the one file that Node's
// single executable application support starts. Both are CommonJS: Node starts it sooner than ESM, whose loader
// costs more than the CLI's own work for --version, and a single executable can only start CommonJS anyway.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { build } from 'esbuild';

const COMMON = {
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  minify: true,
  sourcemap: true,
  legalComments: 'linked',
  metafile: true,
  logLevel: 'warning',
};

/**
 * The bundles src/cli.ts imports apart from its own, each only when its command runs: the server commands (serve,
 * stdio, the background fleet). The npm build makes each a file beside cli.js.
 */
const APART = [{ id: './server-commands.js', entry: 'src/server-commands.ts', codeCache: true }];

/**
 * The npm build's loader of bundles through the V8 code cache the build writes beside them (src/bundle-code-cache.ts):
 * about a quarter of a server start's CPU is V8 compiling the server's 1.8 MB. bin/fleet-mcp.js loads cli.js with it,
 * and cli.js the APART bundles marked `codeCache`. Each cache is made by a run of its bundle: `--version` for the CLI,
 * the top level for the server. The single executable has a code cache of its own.
 */
const CODE_CACHE = { id: './bundle-code-cache.js', entry: 'src/bundle-code-cache.ts' };
const CACHED_RUNS = [
  { file: 'cli.js', argv: ['--version'] },
  ...APART.filter(({ codeCache }) => codeCache).map(({ id }) => ({ file: id, argv: [] })),
];

/**
 * Leaves src/cli.ts's imports of the APART bundles to run time, where it finds them beside it. Through require(),
 * not import(): Node's ESM loader, which import() would start, costs more than it would save.
 * @param {{ codeCache: boolean }} options whether to load the bundles marked `codeCache` through CODE_CACHE
 */
function bundlesApart({ codeCache }) {
  const load = (id) =>
    codeCache && APART.find((bundle) => bundle.id === id).codeCache
      ? `require(${JSON.stringify(CODE_CACHE.id)}).requireBundle(require('node:path').join(__dirname, ${JSON.stringify(id)}))`
      : `require(${JSON.stringify(id)})`;
  return {
    name: 'bundles-apart',
    setup(build) {
      const ids = [...APART, CODE_CACHE].map(({ id }) => id.replaceAll('.', '\\.'));
      build.onResolve({ filter: new RegExp(`^(${ids.join('|')})$`) }, (args) =>
        args.kind === 'require-call'
          ? { path: args.path, external: true }
          : { path: args.path, namespace: 'bundles-apart' },
      );
      build.onLoad({ filter: /.*/, namespace: 'bundles-apart' }, (args) => ({
        contents: `module.exports = ${load(args.path)};`,
        loader: 'js',
      }));
    },
  };
}

/**
 * The npm package: dist/cli.js (the CLI, --version, --help, the token and systemd commands, each module left
 * unevaluated until its command runs) and dist/server-commands.js (serve and stdio, loaded only by them).
 * dist/package.json makes Node read them as CommonJS inside this ESM package.
 * @param {{ outdir: string }} options
 */
export async function bundleCliPackage({ outdir }) {
  const [loader, cli, ...apart] = await Promise.all([
    build({ ...COMMON, write: false, entryPoints: [CODE_CACHE.entry], outfile: join(outdir, CODE_CACHE.id) }),
    build({
      ...COMMON,
      write: false,
      entryPoints: ['src/cli.ts'],
      outfile: join(outdir, 'cli.js'),
      plugins: [bundlesApart({ codeCache: true })],
    }),
    ...APART.map(({ id, entry }) =>
      build({ ...COMMON, write: false, entryPoints: [entry], outfile: join(outdir, id) }),
    ),
  ]);
  for (const result of [cli, ...apart]) refuseEveryZodLocale(result.metafile);
  const outputs = [cli, ...apart].flatMap((result) => result.outputFiles);
  for (const { file } of CACHED_RUNS) refuseImportCall(outputs.find(({ path }) => path === resolve(outdir, file)));
  for (const file of [cli, ...apart, loader].flatMap((result) => result.outputFiles))
    replaceIfChanged(file.path, file.contents);
  replaceIfChanged(join(outdir, 'package.json'), Buffer.from(`${JSON.stringify({ type: 'commonjs' })}\n`));
  for (const { file, argv } of CACHED_RUNS)
    execFileSync(process.execPath, [join(import.meta.dirname, 'write-code-cache.mjs'), join(outdir, file), ...argv], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
}

/**
 * Refuses a cached bundle that calls import(): compiled through vm (src/bundle-code-cache.ts), it has at most an
 * experimental loader for one, which warns. esbuild turns an import() of a literal path into a require(); what is left is an
 * import() of a variable, of a package left to run time.
 */
function refuseImportCall(output) {
  const call = output.text.match(/[^\w$.]import\(.{0,40}/);
  if (!call) return;
  process.stderr.write(
    `bundle: ${output.path} calls import() (\`${call[0].slice(1)}\`), which fails in a bundle run from its V8 code cache; require() the module instead (Node >= 20.19 and >= 22.12 require ES modules)\n`,
  );
  process.exit(1);
}

/**
 * Writes a file whole or not at all (a new file renamed into place), and not when it holds these bytes already: a
 * build beside running servers (the test suite's, verify:agents') never shows one of them half a bundle.
 */
function replaceIfChanged(path, contents) {
  try {
    if (Buffer.compare(readFileSync(path), contents) === 0) return;
  } catch {
    // Not there yet.
  }
  mkdirSync(dirname(path), { recursive: true });
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, contents);
  renameSync(temp, path);
}

/**
 * One file for the single executable, whose V8 code cache holds what V8 compiles before the script runs: the
 * top level, and functions in parentheses. Each APART bundle goes in as such a function, called only when its
 * command first requires it, so its start-up code is in the cache as in one eager bundle, while --version and the
 * token commands run none of them.
 * @param {{ outfile: string }} options
 */
export async function bundleCliSingleFile({ outfile }) {
  const single = { sourcemap: false, legalComments: 'eof', write: false };
  const [cli, ...apart] = await Promise.all([
    build({ ...COMMON, ...single, entryPoints: ['src/cli.ts'], plugins: [bundlesApart({ codeCache: false })] }),
    ...APART.map(({ entry }) => build({ ...COMMON, ...single, entryPoints: [entry] })),
  ]);
  for (const result of [cli, ...apart]) refuseEveryZodLocale(result.metafile);
  const bundles = APART.map(
    ({ id }, i) => `${JSON.stringify(id)}: (function (module, exports, require) {
${apart[i].outputFiles[0].text}
})`,
  );
  const script = `'use strict';
const __fleetApart = {
${bundles.join(',\n')}
};
const __fleetApartModules = new Map();
function __fleetRequire(id) {
  if (!Object.hasOwn(__fleetApart, id)) return require(id);
  if (!__fleetApartModules.has(id)) {
    const module = { exports: {} };
    __fleetApartModules.set(id, module);
    __fleetApart[id](module, module.exports, require);
  }
  return __fleetApartModules.get(id).exports;
}
(function (require) {
${cli.outputFiles[0].text}
})(__fleetRequire);
`;
  writeFileSync(outfile, script);
}

/**
 * `import { z } from 'zod'` keeps zod's whole namespace, every locale with it (~370 kB that each command using a
 * schema would load); `import * as z from 'zod'` lets esbuild keep only what is used.
 */
function refuseEveryZodLocale(metafile) {
  const bundled = Object.values(metafile.outputs).flatMap((output) =>
    Object.keys(output.inputs).filter((input) => output.inputs[input].bytesInOutput > 0),
  );
  const locale = bundled.find((input) => /zod\/v4\/locales\/(?!en\.js$|index\.js$)[^/]+\.js$/.test(input));
  if (!locale) return;
  process.stderr.write(
    `bundle: ${locale} was bundled; write \`import * as z from 'zod'\`, not \`import { z } from 'zod'\`, in src/\n`,
  );
  process.exit(1);
}
