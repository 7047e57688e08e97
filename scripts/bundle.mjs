// One esbuild configuration for both shipped forms: the ESM file the npm package runs, and the CommonJS file
// that Node's single executable application support needs (it can only start a CommonJS script).
import { build } from 'esbuild';

// Bundled CommonJS dependencies call require() for Node built-ins; an ESM file has no require of its own.
const ESM_REQUIRE_SHIM = "import { createRequire as __fleetCreateRequire } from 'node:module';\n" +
  'const require = __fleetCreateRequire(import.meta.url);';

/**
 * Bundles src/cli.ts with every dependency into one file, so nothing is resolved from node_modules at run time
 * (faster start, and the file works on its own inside a single executable).
 * @param {{ format: 'esm' | 'cjs', outfile: string }} options
 */
export async function bundleCli({ format, outfile }) {
  await build({
    entryPoints: ['src/cli.ts'],
    outfile,
    format,
    bundle: true,
    platform: 'node',
    target: 'node20',
    minify: true,
    sourcemap: true,
    legalComments: 'linked',
    banner: format === 'esm' ? { js: ESM_REQUIRE_SHIM } : undefined,
    logLevel: 'warning',
  });
}
