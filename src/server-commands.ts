// The commands that run a fleet or talk to one, which need the whole server. src/cli.ts imports this module only
// when one of them runs, and the npm build bundles it apart from the CLI, so the other commands never read its code.
export { serveCommand } from './commands/serve.js';
export { stdioCommand } from './commands/stdio.js';
export { fleetHostCommand } from './commands/fleet-host.js';
