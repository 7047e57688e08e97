// One esbuild configuration for both shipped forms: the ESM files the npm package runs, and the CommonJS file
// that Node's single executable application support needs (it can only start a CommonJS script).
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';

// Bundled CommonJS dependencies call require() for Node built-ins; an ESM file has no require of its own.
const ESM_REQUIRE_SHIM = "import { createRequire as __fleetCreateRequire } from 'node:module';\n" +
  'const require = __fleetCreateRequire(import.meta.url);';

/** Where the package's lazily loaded parts go, beside dist/cli.js; emptied first, as their names carry hashes. */
export const CHUNKS_DIR = 'chunks';

const COMMON = {
  entryPoints: ['src/cli.ts'],
  bundle: true,
  platform: 'node',
  target: 'node20',
  minify: true,
  sourcemap: true,
  legalComments: 'linked',
  metafile: true,
  logLevel: 'warning',
};

/**
 * Bundles src/cli.ts with every dependency, so nothing is resolved from node_modules at run time. The command
 * modules are imported lazily by src/cli.ts; split into chunks, `--version`, `--help` and the token commands
 * never read the server's code at all.
 * @param {{ outdir: string }} options
 */
export async function bundleCliEsm({ outdir }) {
  rmSync(join(outdir, CHUNKS_DIR), { recursive: true, force: true });
  const result = await build({
    ...COMMON,
    outdir,
    format: 'esm',
    splitting: true,
    chunkNames: `${CHUNKS_DIR}/[name]-[hash]`,
    banner: { js: ESM_REQUIRE_SHIM },
  });
  refuseEveryZodLocale(result.metafile);
}

/**
 * One CommonJS file, for the single executable. The lazily imported modules stay in it unevaluated until their
 * command runs, and V8's code cache in the executable spares it the compiling.
 * @param {{ outfile: string }} options
 */
export async function bundleCliCjs({ outfile }) {
  const result = await build({ ...COMMON, outfile, format: 'cjs' });
  refuseEveryZodLocale(result.metafile);
}

/**
 * `import { z } from 'zod'` keeps zod's whole namespace, every locale with it (~370 kB that each command using a
 * schema would load); `import * as z from 'zod'` lets esbuild keep only what is used.
 */
function refuseEveryZodLocale(metafile) {
  const bundled = Object.values(metafile.outputs).flatMap((output) => Object.keys(output.inputs).filter((input) => output.inputs[input].bytesInOutput > 0));
  const locale = bundled.find((input) => /zod\/v4\/locales\/(?!en\.js$|index\.js$)[^/]+\.js$/.test(input));
  if (!locale) return;
  process.stderr.write(`bundle: ${locale} was bundled; write \`import * as z from 'zod'\`, not \`import { z } from 'zod'\`, in src/\n`);
  process.exit(1);
}
