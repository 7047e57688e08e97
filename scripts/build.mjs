// Bundles the CLI and its dependencies into dist/: cli.js, which bin/fleet-mcp.js runs, server-commands.js and
// engine-relay.js.
import { bundleCliPackage } from './bundle.mjs';

await bundleCliPackage({ outdir: 'dist' });
