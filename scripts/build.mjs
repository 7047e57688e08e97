// Bundles the CLI and its dependencies into dist/: cli.js, the entry bin/fleet-mcp.js runs, and dist/chunks/.
import { bundleCliEsm } from './bundle.mjs';

await bundleCliEsm({ outdir: 'dist' });
