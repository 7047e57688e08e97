// One esbuild configuration for both shipped forms: the files the npm package runs, and the one file that Node's
// single executable application support starts. Both are CommonJS: Node starts it sooner than ESM, whose loader
// costs more than the CLI's own work for --version, and a single executable can only start CommonJS anyway.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
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

/** src/cli.ts imports the server commands from this module; the npm build makes it a file of its own. */
const SERVER_COMMANDS = './server-commands.js';

/**
 * Leaves src/cli.ts's import of the server commands to run time, where it finds their bundle beside it. Through
 * require(), not import(): Node's ESM loader, which import() would start, costs more than it would save.
 */
const serverCommandsApart = {
  name: 'server-commands-apart',
  setup(build) {
    build.onResolve({ filter: /^\.\/server-commands\.js$/ }, (args) =>
      args.kind === 'require-call'
        ? { path: SERVER_COMMANDS, external: true }
        : { path: SERVER_COMMANDS, namespace: 'server-commands' },
    );
    build.onLoad({ filter: /.*/, namespace: 'server-commands' }, () => ({
      contents: `module.exports = require('${SERVER_COMMANDS}');`,
      loader: 'js',
    }));
  },
};

/**
 * The npm package: dist/cli.js (the CLI, --version, --help, the token and systemd commands, each module left
 * unevaluated until its command runs) and dist/server-commands.js (serve and stdio, loaded only by them).
 * dist/package.json makes Node read both as CommonJS inside this ESM package.
 * @param {{ outdir: string }} options
 */
export async function bundleCliPackage({ outdir }) {
  const builds = await Promise.all([
    build({
      ...COMMON,
      write: false,
      entryPoints: ['src/cli.ts'],
      outfile: join(outdir, 'cli.js'),
      plugins: [serverCommandsApart],
    }),
    build({
      ...COMMON,
      write: false,
      entryPoints: ['src/server-commands.ts'],
      outfile: join(outdir, 'server-commands.js'),
    }),
  ]);
  for (const result of builds) refuseEveryZodLocale(result.metafile);
  for (const file of builds.flatMap((result) => result.outputFiles)) replaceIfChanged(file.path, file.contents);
  replaceIfChanged(join(outdir, 'package.json'), Buffer.from(`${JSON.stringify({ type: 'commonjs' })}\n`));
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
 * top level, and functions in parentheses. The server commands' bundle goes in as such a function, called only
 * when a server command first requires it, so their start-up code is in the cache as in one eager bundle, while
 * --version and the token commands never run it.
 * @param {{ outfile: string }} options
 */
export async function bundleCliSingleFile({ outfile }) {
  const single = { sourcemap: false, legalComments: 'eof', write: false };
  const [cli, server] = await Promise.all([
    build({ ...COMMON, ...single, entryPoints: ['src/cli.ts'], plugins: [serverCommandsApart] }),
    build({ ...COMMON, ...single, entryPoints: ['src/server-commands.ts'] }),
  ]);
  for (const result of [cli, server]) refuseEveryZodLocale(result.metafile);
  const script = `'use strict';
const __fleetServerCommands = (function (module, exports, require) {
${server.outputFiles[0].text}
});
let __fleetServerCommandsModule;
function __fleetRequire(id) {
  if (id !== ${JSON.stringify(SERVER_COMMANDS)}) return require(id);
  if (!__fleetServerCommandsModule) {
    __fleetServerCommandsModule = { exports: {} };
    __fleetServerCommands(__fleetServerCommandsModule, __fleetServerCommandsModule.exports, require);
  }
  return __fleetServerCommandsModule.exports;
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
