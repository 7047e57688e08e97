import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stopProcessesIn } from './stop-processes-in.js';

export interface Sandbox {
  root: string;
  /** Working directory of processes started in the sandbox (where `.env` is read). */
  cwd: string;
  configDir: string;
  tokenFile: string;
  /** The environment a process gets: a private HOME and XDG dirs, and no FLEET_MCP_* of the caller. */
  env: NodeJS.ProcessEnv;
  cleanup: () => void;
}

const sandboxes: Sandbox[] = [];

/**
 * The caller's environment without the server's settings, and without NODE_EXTRA_CA_CERTS: tests talk to loopback
 * only, and where Node cannot read that bundle (Node 22 once could not, here) it prints a warning on stderr that
 * tests of the server's exact stderr would count.
 */
function baseEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (key.startsWith('FLEET_MCP_') || key === 'AUTH_ENABLED' || key === 'LOG_LEVEL' || key === 'NODE_EXTRA_CA_CERTS')
      continue;
    env[key] = value;
  }
  return env;
}

/**
 * A private home per test, so no test touches the real ~/.config/fleet-mcp or another test's files; in a new folder
 * whose path starts with `prefix`.
 */
export function createSandbox(prefix = join(tmpdir(), 'fleet-mcp-test-')): Sandbox {
  const root = mkdtempSync(prefix);
  const cwd = join(root, 'work');
  const home = join(root, 'home');
  mkdirSync(cwd);
  mkdirSync(home);
  const configHome = join(home, '.config');
  const sandbox: Sandbox = {
    root,
    cwd,
    configDir: join(configHome, 'fleet-mcp'),
    tokenFile: join(configHome, 'fleet-mcp', 'auth_token'),
    env: { ...baseEnv(), HOME: home, XDG_CONFIG_HOME: configHome, XDG_DATA_HOME: join(home, '.local', 'share') },
    cleanup: () => {
      stopProcessesIn(root);
      rmSync(root, { recursive: true, force: true, maxRetries: 3 });
    },
  };
  sandboxes.push(sandbox);
  return sandbox;
}

export function cleanupSandboxes(): void {
  for (const sandbox of sandboxes.splice(0)) sandbox.cleanup();
}
