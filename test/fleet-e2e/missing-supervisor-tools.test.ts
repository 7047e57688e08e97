import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI } from '../helpers/cli.js';
import { cleanupSandboxes } from '../helpers/sandbox.js';
import { expectStartFailure, killServers } from '../helpers/server.js';
import { fleetServerEnv } from './fleet-server.js';
import { createShellFleet, SHELL } from './shell-fleet.js';

afterAll(() => {
  killServers();
  cleanupSandboxes();
});

/**
 * Starts the real server in a mount namespace where `file` is /dev/null: not an executable file, so the search finds
 * no such tool. PATH alone cannot hide dash or env: the supervisor's search always includes /usr/bin and /bin.
 */
async function serveWithout(
  file: string,
): Promise<{ code: number | null; stdout: string; stderr: string; dataDir: string }> {
  const fleet = createShellFleet('missing-tool', { sh: { command: SHELL, description: 'a shell', default: true } });
  const launcher = ['/usr/bin/bwrap', '--dev-bind', '/', '/', '--ro-bind', '/dev/null', file, process.execPath, CLI];
  const env = fleetServerEnv(fleet, { PATH: '/usr/bin:/bin', FLEET_MCP_PORT: '0' });
  return { ...(await expectStartFailure(fleet.sandbox, { launcher, env })), dataDir: fleet.dataDir };
}

/** Exit 1, one line naming the missing tool and its fix, no stack trace, no server listening, no supervisor set up. */
function expectRefused(result: Awaited<ReturnType<typeof serveWithout>>, line: RegExp): void {
  expect(result.code, result.stderr).toBe(1);
  expect(result.stderr).toMatch(/^fleet-mcp: [^\n]+\n$/);
  expect(result.stderr).toMatch(line);
  expect(result.stdout).not.toContain('"fleet-mcp listening"');
  expect(existsSync(join(result.dataDir, 'task-supervisor.sh'))).toBe(false);
}

describe('serve without the task supervisor’s tools', () => {
  it('refuses to start without dash, naming the fix', async () => {
    expectRefused(await serveWithout('/usr/bin/dash'), /dash was not found on .*install dash \(apt install dash/);
  });

  it('refuses to start without coreutils env, naming the fix', async () => {
    expectRefused(await serveWithout('/usr/bin/env'), /env was not found on .*: install coreutils/);
  });
});
