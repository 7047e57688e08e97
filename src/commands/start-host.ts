import { spawn } from 'node:child_process';
import type { StartedFleet } from '../attach/fleet-link.js';
import { installCommand } from '../systemd/install-command.js';
import { HOST_COMMAND, HOST_DATA_DIR_IN_USE } from './host-command.js';
import type { StdioFlags } from './stdio.js';

// Enough of the host's stderr for its one-line error.
const MAX_ERROR_CHARS = 2000;

function flagArgs(flags: StdioFlags): string[] {
  const args: string[] = [];
  if (flags.config !== undefined) args.push('--config', flags.config);
  if (flags.dataDir !== undefined) args.push('--data-dir', flags.dataDir);
  if (flags.maxBusy !== undefined) args.push('--max-busy', String(flags.maxBusy));
  if (flags.logLevel !== undefined) args.push('--log-level', flags.logLevel);
  return args;
}

/**
 * Starts the background fleet for stdio clients, in this process's folder and environment and with its flags, in
 * a session of its own so it outlives this client. Its stderr is read until it is released: a host that cannot start
 * says why there, in one line.
 */
export function startHost(flags: StdioFlags): StartedFleet {
  const [command, ...args] = [...installCommand(), HOST_COMMAND, ...flagArgs(flags)];
  const child = spawn(command!, args, { detached: true, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  let failure: string | null = null;
  let steppedAside: string | null = null;
  let ended = false;
  child.stderr.setEncoding('utf8').on('data', (text: string) => {
    if (stderr.length < MAX_ERROR_CHARS) stderr += text;
  });
  child.once('error', (error) => {
    ended = true;
    failure = `could not start the fleet: ${error.message}`;
  });
  child.once('exit', (code, signal) => {
    ended = true;
    const said = stderr
      .trim()
      .replace(/^fleet-mcp: /, '')
      .slice(0, MAX_ERROR_CHARS);
    if (code === HOST_DATA_DIR_IN_USE) steppedAside = said || null;
    else if (code !== 0) failure = said || `the fleet stopped as it started (${signal ?? `exit status ${code}`})`;
  });
  return {
    get failure() {
      return failure;
    },
    get steppedAside() {
      return steppedAside;
    },
    get ended() {
      return ended;
    },
    release: () => {
      child.stderr.destroy();
      child.unref();
    },
  };
}
