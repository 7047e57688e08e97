import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { cleanupSandboxes, createSandbox } from '../helpers/sandbox.js';
import { inProcessRefusal } from '../helpers/in-process-server.js';

afterAll(() => {
  cleanupSandboxes();
});

function oneLine(text: string): string[] {
  return text.trim().split('\n');
}

describe('durations longer than a Node timer can wait are refused with one line', () => {
  it.each(['99999999999h', '25d', '30d'])('token rotate --grace %s', async (grace) => {
    const sandbox = createSandbox();
    const result = await runCli(sandbox, ['token', 'rotate', '--grace', grace]);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(oneLine(result.stderr)).toEqual([
      `fleet-mcp: --grace must be a duration such as 90s, 10m, 2h or 1h30m, at most 24d (got "${grace}")`,
    ]);
  });

  it('token rotate --grace 24d is the longest grace', async () => {
    const sandbox = createSandbox();
    expect((await runCli(sandbox, ['token', 'rotate'])).code).toBe(0);
    const result = await runCli(sandbox, ['token', 'rotate', '--grace', '24d']);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('the previous token stays valid until');
  });

  it('a role timeout of 30d in the fleet config', async () => {
    const sandbox = createSandbox();
    const file = join(sandbox.root, 'fleet.json');
    writeFileSync(
      file,
      JSON.stringify({
        projects: { here: { path: sandbox.cwd } },
        roles: { slow: { command: ['tool', '{task}'], timeout: '30d' } },
      }),
    );
    // The config's parse is the subject: the server runs in this process, and this is the line the CLI prints.
    const stderr = await inProcessRefusal(sandbox, { env: { FLEET_MCP_CONFIG: file } });
    expect(oneLine(stderr)).toHaveLength(1);
    expect(stderr).toMatch(
      /roles\.slow\.timeout: timeout must be a duration such as 90s, 10m, 2h or 1h30m, at most 24d/,
    );
  });
});
