import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI, runCli } from '../helpers/cli.js';
import { cleanupSandboxes, createSandbox, type Sandbox } from '../helpers/sandbox.js';
import { captureLog, expectNoSecretInLogs, rememberSecret } from '../helpers/secrets.js';

afterAll(() => {
  expectNoSecretInLogs();
  cleanupSandboxes();
});

const MARK = 'loaded-http-modules:';

/**
 * Preloaded with --require: when the process exits it says which of Node's HTTP modules it loaded. The server
 * (Hono's Node adapter, the MCP transports) needs node:http, so a command that loaded none never loaded the server.
 */
const PROBE = `process.on('exit', () => {
  const http = process.moduleLoadList.filter((name) => /^NativeModule (http|https|http2)$/.test(name));
  process.stderr.write(${JSON.stringify(MARK)} + JSON.stringify(http) + '\\n');
});
`;

function withProbe(sandbox: Sandbox, args: string[]): Promise<{ code: number; stdout: string; httpModules: string[] }> {
  const probe = join(sandbox.root, 'probe.cjs');
  writeFileSync(probe, PROBE);
  return new Promise((done) =>
    execFile(
      process.execPath,
      ['--require', probe, ...args],
      { cwd: sandbox.cwd, env: sandbox.env, timeout: 100_000 },
      (error, stdout, stderr) => {
        captureLog(`${args.join(' ')} (stderr)`, () => stderr);
        const line = stderr.split('\n').find((text) => text.startsWith(MARK));
        done({
          code: error ? Number(error.code) || 1 : 0,
          stdout,
          httpModules: line ? JSON.parse(line.slice(MARK.length)) : ['(probe did not report)'],
        });
      },
    ),
  );
}

describe('commands that need no server', () => {
  it('the probe sees node:http when a process loads it', async () => {
    const sandbox = createSandbox();
    expect((await withProbe(sandbox, ['-e', "require('node:http')"])).httpModules).toEqual(['NativeModule http']);
  });

  it.each([
    '--version',
    '--help',
    'token --help',
    'serve --help',
    'init --help',
    'token path',
    'token list',
    'status --help',
    'stop --help',
  ])('fleet-mcp %s runs without loading the server', async (command) => {
    const sandbox = createSandbox();
    const result = await withProbe(sandbox, [CLI, ...command.split(' ')]);
    expect(result).toMatchObject({ code: 0, httpModules: [] });
    expect(result.stdout).not.toBe('');
  });

  it('token show and token rotate run without loading the server', async () => {
    const sandbox = createSandbox();
    const rotated = await withProbe(sandbox, [CLI, 'token', 'rotate']);
    expect(rotated).toMatchObject({ code: 0, httpModules: [] });
    const token = rememberSecret(rotated.stdout.trim());
    expect(await withProbe(sandbox, [CLI, 'token', 'show'])).toMatchObject({
      code: 0,
      stdout: `${token}\n`,
      httpModules: [],
    });
  });

  it('status, logs, diff and stop, with no fleet to ask, run without loading the server', async () => {
    const sandbox = createSandbox();
    for (const command of ['status', 'logs a', 'diff a', 'stop --all']) {
      expect(await withProbe(sandbox, [CLI, ...command.split(' ')])).toMatchObject({ code: 1, httpModules: [] });
    }
  });

  it('--help lists every command', async () => {
    const sandbox = createSandbox();
    const help = await runCli(sandbox, ['--help']);
    expect(help.code).toBe(0);
    for (const command of ['serve', 'stdio', 'status\\|ps', 'logs', 'diff', 'stop', 'systemd', 'token'])
      expect(help.stdout).toMatch(new RegExp(`^  ${command}\\b`, 'm'));
  });
});
