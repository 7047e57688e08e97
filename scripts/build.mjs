// Bundles the CLI and its dependencies into dist/: cli.js, which bin/fleet-mcp.js runs, and server-commands.js.
import { bundleCliPackage } from './bundle.mjs';

await bundleCliPackage({ outdir: 'dist' });
