// Bundles the CLI and its dependencies into dist/cli.js, the one file bin/fleet-mcp.js runs.
import { bundleCli } from './bundle.mjs';

await bundleCli({ format: 'esm', outfile: 'dist/cli.js' });
