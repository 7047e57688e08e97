import { execFile, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanupSandboxes, createSandbox, type Sandbox } from '../helpers/sandbox.js';
import { captureLog, expectNoSecretInLogs, rememberSecret } from '../helpers/secrets.js';
import { killServers, startServer } from '../helpers/server.js';
import { expectServesOneCallAndStops } from '../helpers/serves-one-call.js';
import { expectServesWebView } from '../helpers/serves-web-view.js';
import { defaultDataDir, hostPid, startStdioClient, stopStdioClients } from '../helpers/stdio-client.js';

const ROOT = resolve(import.meta.dirname, '../..');
const BINARY = join(ROOT, 'dist/fleet-mcp');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };

/** Why this Node cannot be made into a single executable (build-binary.mjs exits 3), or undefined when it can. */
let cannotBuild: string | undefined;

/**
 * Runs build-binary.mjs without blocking this worker: a busy machine can take over a minute to build, and a worker
 * that answers no message of vitest's for that long fails the run with an RPC timeout, though its tests pass.
 */
function buildBinary(): Promise<{ code: number; stderr: string }> {
  return new Promise((done) =>
    execFile(process.execPath, ['scripts/build-binary.mjs'], { cwd: ROOT, encoding: 'utf8' }, (error, _, stderr) =>
      done({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stderr }),
    ),
  );
}

beforeAll(async () => {
  const build = await buildBinary();
  if (build.code === 3) cannotBuild = build.stderr.trim();
  else if (build.code !== 0) throw new Error(`build:binary failed:\n${build.stderr}`);
}, 300_000);

afterAll(async () => {
  await stopStdioClients();
  killServers();
  expectNoSecretInLogs();
  cleanupSandboxes();
});

/** The sandbox's environment with a PATH that holds no `node`, so the executable has to carry its own. */
function withoutNode(sandbox: Sandbox): NodeJS.ProcessEnv {
  const emptyBin = join(sandbox.root, 'empty-bin');
  mkdirSync(emptyBin, { recursive: true });
  return { ...sandbox.env, PATH: emptyBin };
}

function runBinary(sandbox: Sandbox, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) =>
    execFile(
      BINARY,
      args,
      { cwd: sandbox.cwd, env: withoutNode(sandbox), timeout: 100_000 },
      (error, stdout, stderr) => {
        captureLog(`dist/fleet-mcp ${args.join(' ')} (stderr)`, () => stderr);
        done({ code: error ? Number(error.code) || 1 : 0, stdout, stderr });
      },
    ),
  );
}

describe('the single executable dist/fleet-mcp, with no node on PATH', () => {
  it('prints its version', async (context) => {
    if (cannotBuild) context.skip(`single executable cannot be built with this Node: ${cannotBuild}`);
    const sandbox = createSandbox();
    expect(spawnSync('sh', ['-c', 'command -v node'], { env: withoutNode(sandbox) }).status).not.toBe(0);
    expect(await runBinary(sandbox, ['--version'])).toEqual({ code: 0, stdout: `${pkg.version}\n`, stderr: '' });
  });

  it('serves stdio clients through the background fleet it starts as itself', async (context) => {
    if (cannotBuild) context.skip(`single executable cannot be built with this Node: ${cannotBuild}`);
    const sandbox = createSandbox();
    const client = await startStdioClient(sandbox, { launcher: [BINARY], env: withoutNode(sandbox) });
    expect(await client.ok('list_agent_projects')).toMatchObject({ projects: [{ name: 'work', path: sandbox.cwd }] });
    const host = hostPid(defaultDataDir(sandbox))!;
    expect(readFileSync(`/proc/${host}/cmdline`, 'utf8').split('\0')).toEqual([BINARY, '__fleet-host', '']);
  });

  it('runs a task through its sh supervisor: the exit code is recorded', async (context) => {
    if (cannotBuild) context.skip(`single executable cannot be built with this Node: ${cannotBuild}`);
    const sandbox = createSandbox();
    const config = join(sandbox.root, 'fleet.json');
    writeFileSync(
      config,
      JSON.stringify({
        projects: { work: { path: sandbox.cwd, description: 'work' } },
        roles: { shell: { command: ['/bin/sh', '-c', '{task}'], sandbox: false } },
      }),
    );
    const env = { ...withoutNode(sandbox), FLEET_MCP_CONFIG: config };
    const client = await startStdioClient(sandbox, { launcher: [BINARY], env });
    await client.ok('create_agent', { name: 'sea', project: 'work', role: 'shell', task: 'echo from-sea; exit 7' });
    const waited = (await client.ok('wait_for_agent', { name: 'sea', timeout_seconds: 60 })) as {
      agent: { last_task: unknown };
    };
    expect(waited.agent.last_task).toMatchObject({ status: 'failed', exit_code: 7 });
  });

  it('serves MCP with auth, logs JSON lines, and stops with exit 0', async (context) => {
    if (cannotBuild) context.skip(`single executable cannot be built with this Node: ${cannotBuild}`);
    const sandbox = createSandbox();
    const server = await startServer(sandbox, {
      launcher: [BINARY],
      env: { ...withoutNode(sandbox), FLEET_MCP_AUTH_ENABLED: 'true' },
    });
    expect(server.ready).toMatchObject({ msg: 'fleet-mcp listening', auth: 'enabled' });
    await expectServesWebView(server.baseUrl);
    await expectServesOneCallAndStops(sandbox, server);
  });

  it('shows and rotates the token', async (context) => {
    if (cannotBuild) context.skip(`single executable cannot be built with this Node: ${cannotBuild}`);
    const sandbox = createSandbox();
    const rotated = await runBinary(sandbox, ['token', 'rotate']);
    expect(rotated.code).toBe(0);
    const token = rememberSecret(rotated.stdout.trim());
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(await runBinary(sandbox, ['token', 'show'])).toMatchObject({ code: 0, stdout: `${token}\n` });
    expect(JSON.parse(readFileSync(sandbox.tokenFile, 'utf8')).value).toBe(token);
  });

  it('prints a systemd unit whose ExecStart is the executable itself', async (context) => {
    if (cannotBuild) context.skip(`single executable cannot be built with this Node: ${cannotBuild}`);
    const result = await runBinary(createSandbox(), ['systemd', '--system']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`\nExecStart=${BINARY} serve\n`);
  });
});
