import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, realpathSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { userInfo } from 'node:os';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI, runCli } from '../helpers/cli.js';
import { cleanupSandboxes, createSandbox, type Sandbox } from '../helpers/sandbox.js';
import { expectNoSecretInLogs, rememberSecret } from '../helpers/secrets.js';

afterAll(() => {
  expectNoSecretInLogs();
  cleanupSandboxes();
});

/** A token from a secret manager in the caller's environment must never end up in a unit file. */
const ENV_TOKEN = rememberSecret('unit-secret-token-unit-secret-token-0123456789');

interface PrintedUnit {
  text: string;
  sandbox: Sandbox;
  project: string;
}

/** Prints a unit in a sandbox whose fleet config has a project path that needs quoting and escaping. */
async function printUnit(kind: 'user' | 'system'): Promise<PrintedUnit> {
  const sandbox = createSandbox();
  const project = join(sandbox.root, 'my project 100%');
  mkdirSync(project);
  mkdirSync(sandbox.configDir, { recursive: true });
  writeFileSync(join(sandbox.configDir, 'config.json'), JSON.stringify({ projects: { p: { path: project } } }));
  const result = await runCli(sandbox, ['systemd', `--${kind}`], {
    FLEET_MCP_AUTH_TOKEN: ENV_TOKEN,
    FLEET_MCP_PORT: '8123',
  });
  expect(result).toMatchObject({ code: 0, stderr: '' });
  expect(result.stdout).not.toContain(ENV_TOKEN);
  return { text: result.stdout, sandbox, project };
}

/** Every `Key=value` line of a unit file, keys repeated as often as they are set. */
function settings(text: string): Record<string, string[]> {
  const unit: Record<string, string[]> = {};
  for (const line of text.split('\n')) {
    const match = /^([A-Za-z]+)=(.*)$/.exec(line);
    if (!match) continue;
    const values = unit[match[1]!] ?? [];
    values.push(match[2]!);
    unit[match[1]!] = values;
  }
  return unit;
}

function analyze(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stderr: string; missing: boolean }> {
  return new Promise((resolve) =>
    execFile('systemd-analyze', args, { env: { ...process.env, ...env } }, (error, _stdout, stderr) => {
      const missing = (error as NodeJS.ErrnoException | null)?.code === 'ENOENT';
      resolve({ code: error ? Number(error.code) || 1 : 0, stderr, missing });
    }),
  );
}

const COMMAND = `${process.execPath} ${realpathSync(CLI)} serve`;
// KillMode=process: a restart of the service leaves running agents running (see the README's Fleet section).
const HARDENING = {
  NoNewPrivileges: ['yes'],
  PrivateTmp: ['yes'],
  ProtectSystem: ['strict'],
  Restart: ['on-failure'],
  KillMode: ['process'],
};

describe('fleet-mcp systemd', () => {
  it('--system prints a unit that runs this install as the current user, token under StateDirectory', async () => {
    const { text, sandbox, project } = await printUnit('system');
    const unit = settings(text);
    expect(unit).toMatchObject({ ...HARDENING, ExecStart: [COMMAND], StateDirectory: ['fleet-mcp'] });
    expect(unit.User).toEqual([userInfo().username]);
    expect(unit.WorkingDirectory).toEqual([sandbox.cwd]);
    expect(unit.Environment).toEqual(
      expect.arrayContaining([
        'FLEET_MCP_AUTH_ENABLED=true',
        'FLEET_MCP_AUTH_TOKEN_FILE=/var/lib/fleet-mcp/auth_token',
        'FLEET_MCP_PORT=8123',
        `FLEET_MCP_CONFIG=${join(sandbox.configDir, 'config.json')}`,
      ]),
    );
    expect(unit.ReadWritePaths).toEqual([sandbox.env.HOME, `"${project.replace('%', '%%')}"`]);
    expect(unit.WantedBy).toEqual(['multi-user.target']);
  });

  it('--user prints a unit with the token in the user config dir and a user namespace for the sandbox', async () => {
    const { text, sandbox } = await printUnit('user');
    const unit = settings(text);
    expect(unit).toMatchObject({ ...HARDENING, ExecStart: [COMMAND], PrivateUsers: ['yes'] });
    expect(unit.User).toBeUndefined();
    expect(unit.StateDirectory).toBeUndefined();
    expect(unit.Environment).toContain(`FLEET_MCP_AUTH_TOKEN_FILE=${sandbox.tokenFile}`);
    expect(unit.WantedBy).toEqual(['default.target']);
  });

  it('refuses --user together with --system', async () => {
    const result = await runCli(createSandbox(), ['systemd', '--user', '--system']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('--user and --system exclude each other');
  });

  it.for(['system', 'user'] as const)(
    '--%s refuses a newline in the data dir or a project path, which would add a directive',
    async (kind) => {
      const injection = '\nExecStartPre=+/usr/bin/touch /pwned';
      const sandbox = createSandbox();
      const dataDir = join(sandbox.root, `data${injection}`);
      const viaDataDir = await runCli(sandbox, ['systemd', `--${kind}`], { FLEET_MCP_DATA_DIR: dataDir });
      expect(viaDataDir).toMatchObject({ code: 1, stdout: '' });
      expect(viaDataDir.stderr.trim().split('\n')).toEqual([
        expect.stringContaining(`cannot write the value of FLEET_MCP_DATA_DIR ${JSON.stringify(dataDir)}`),
      ]);

      const project = join(sandbox.root, `project${injection}`);
      mkdirSync(project, { recursive: true });
      mkdirSync(sandbox.configDir, { recursive: true });
      writeFileSync(join(sandbox.configDir, 'config.json'), JSON.stringify({ projects: { p: { path: project } } }));
      const viaProject = await runCli(sandbox, ['systemd', `--${kind}`]);
      expect(viaProject).toMatchObject({ code: 1, stdout: '' });
      expect(viaProject.stderr.trim().split('\n')).toEqual([
        expect.stringContaining(`cannot write the writable path ${JSON.stringify(project)}`),
      ]);
    },
  );

  it.for(['system', 'user'] as const)(
    'the --%s unit passes systemd-analyze verify without a warning',
    async (kind, context) => {
      const { text, sandbox } = await printUnit(kind);
      const file = join(sandbox.root, 'fleet-mcp.service');
      writeFileSync(file, text);
      // The per-user manager that verify starts needs a runtime directory of its own.
      const runtime = mkdtempSync(join(sandbox.root, 'runtime-'));
      const result = await analyze([...(kind === 'user' ? ['--user'] : []), 'verify', file], {
        XDG_RUNTIME_DIR: runtime,
      });
      if (result.missing)
        context.skip('systemd-analyze is not installed here; the unit keys are checked by the tests above');
      if (/Failed to initialize manager/.test(result.stderr))
        context.skip(`systemd-analyze cannot start a manager here: ${result.stderr.trim()}`);
      expect(result).toMatchObject({ code: 0, stderr: '' });
    },
  );
});
