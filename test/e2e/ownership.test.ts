import { chmodSync, chownSync, lstatSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { inProcessRefusal, startInProcessServer, stopInProcessServers } from '../helpers/in-process-server.js';
import { cleanupSandboxes, createSandbox, type Sandbox } from '../helpers/sandbox.js';
import { expectNoSecretInLogs, rememberSecret } from '../helpers/secrets.js';
import { expectStartFailure, killServers } from '../helpers/server.js';

// The first refusal and the dangling link's are the real process's: exit 1 and one line on stderr. The other checks
// are the config's, so their servers run in this process, where the refusal is the line the CLI would print.
afterAll(async () => {
  killServers();
  await stopInProcessServers();
  expectNoSecretInLogs();
  cleanupSandboxes();
});

/** The tests run as root; "another user" is nobody. */
const NOBODY = 65534;
const AUTH_ON = { FLEET_MCP_AUTH_ENABLED: 'true' };

function writeTokenFile(file: string): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  writeFileSync(file, JSON.stringify({ value: rememberSecret('o'.repeat(43)), created_at: '2026-01-01T00:00:00Z' }), {
    mode: 0o600,
  });
}

async function refusedWith(sandbox: Sandbox, env: NodeJS.ProcessEnv, expected: string): Promise<void> {
  const { code, stderr } = await expectStartFailure(sandbox, { env });
  expect(code).toBe(1);
  expect(stderr.trim().split('\n')).toEqual([`fleet-mcp: ${expected}`]);
}

async function refusedInProcess(sandbox: Sandbox, env: NodeJS.ProcessEnv, expected: string): Promise<void> {
  expect(await inProcessRefusal(sandbox, { env })).toBe(`fleet-mcp: ${expected}\n`);
}

describe('what the server trusts must be safe from other users, like OpenSSH checks keys', () => {
  it('refuses a token file another user owns, for serve and token show', async () => {
    const sandbox = createSandbox();
    writeTokenFile(sandbox.tokenFile);
    chownSync(sandbox.tokenFile, NOBODY, NOBODY);
    const expected =
      `token file ${sandbox.tokenFile} is owned by uid ${NOBODY}, not by you (uid 0) or root, so that user could change it; ` +
      `fix it with: chown 0 ${sandbox.tokenFile} (as root), or move it to a place you own`;
    await refusedWith(sandbox, AUTH_ON, expected);
    expect(await runCli(sandbox, ['token', 'show'])).toMatchObject({
      code: 1,
      stdout: '',
      stderr: `fleet-mcp: ${expected}\n`,
    });
  });

  it('refuses a token directory another user owns', async () => {
    const sandbox = createSandbox();
    writeTokenFile(sandbox.tokenFile);
    chownSync(dirname(sandbox.tokenFile), NOBODY, NOBODY);
    await refusedInProcess(
      sandbox,
      AUTH_ON,
      `directory ${dirname(sandbox.tokenFile)} of the token file is owned by uid ${NOBODY}, not by you (uid 0) or root, so that user could change it; fix it with: chown 0 ${dirname(sandbox.tokenFile)} (as root), or move it to a place you own`,
    );
  });

  it('accepts a token file in a sticky shared directory that root owns, such as /tmp', async () => {
    const sandbox = createSandbox();
    const shared = join(sandbox.root, 'shared');
    mkdirSync(shared);
    chmodSync(shared, 0o1777);
    const file = join(shared, 'token');
    const server = await startInProcessServer(sandbox, { env: { ...AUTH_ON, FLEET_MCP_AUTH_TOKEN_FILE: file } });
    rememberSecret(JSON.parse(readFileSync(file, 'utf8')).value);
    expect(server.ready).toMatchObject({ token_file: file, token_created: true });
    await server.stop();
  });

  it('refuses a sticky shared directory another user owns, advising a move and never chmod', async () => {
    const sandbox = createSandbox();
    const shared = join(sandbox.root, 'shared');
    mkdirSync(shared);
    chmodSync(shared, 0o1777);
    chownSync(shared, NOBODY, NOBODY);
    const file = join(shared, 'token');
    await refusedInProcess(
      sandbox,
      { ...AUTH_ON, FLEET_MCP_AUTH_TOKEN_FILE: file },
      `directory ${shared} of the token file is a shared directory (mode 1777) owned by uid ${NOBODY}, who could replace the token file; move the token file to a directory you own`,
    );
  });

  it('refuses a fleet config another user owns or may write, and one in a directory others may write', async () => {
    const sandbox = createSandbox();
    const dir = join(sandbox.root, 'conf');
    mkdirSync(dir);
    const file = join(dir, 'fleet.json');
    writeFileSync(file, JSON.stringify({ projects: { here: { path: sandbox.cwd } } }));
    const env = { FLEET_MCP_CONFIG: file };
    chownSync(file, NOBODY, NOBODY);
    await refusedInProcess(
      sandbox,
      env,
      `fleet config ${file} is owned by uid ${NOBODY}, not by you (uid 0) or root, so that user could change it; fix it with: chown 0 ${file} (as root), or move it to a place you own`,
    );
    chownSync(file, 0, 0);
    chmodSync(file, 0o666);
    await refusedInProcess(
      sandbox,
      env,
      `fleet config ${file} is writable by other users (mode 0666); fix it with: chmod go-w ${file}`,
    );
    chmodSync(file, 0o644);
    chmodSync(dir, 0o777);
    await refusedInProcess(
      sandbox,
      env,
      `directory ${dir} of the fleet config is writable by other users (mode 0777); fix it with: chmod go-w ${dir}`,
    );
    chmodSync(dir, 0o755);
    const server = await startInProcessServer(sandbox, { env });
    expect(server.ready.projects).toBe(1);
    await server.stop();
  });

  it('refuses a data dir another user owns', async () => {
    const sandbox = createSandbox();
    const dataDir = join(sandbox.root, 'data');
    mkdirSync(dataDir, { mode: 0o700 });
    chownSync(dataDir, NOBODY, NOBODY);
    await refusedInProcess(
      sandbox,
      { FLEET_MCP_DATA_DIR: dataDir },
      `data dir ${dataDir} is owned by uid ${NOBODY}, not by you (uid 0) or root, so that user could change it; fix it with: chown 0 ${dataDir} (as root), or move it to a place you own`,
    );
  });
});

describe('a dangling symbolic link at the token path', () => {
  function danglingLink(): { sandbox: Sandbox; expected: string } {
    const sandbox = createSandbox();
    mkdirSync(dirname(sandbox.tokenFile), { recursive: true, mode: 0o700 });
    const target = join(sandbox.root, 'vault', 'token');
    symlinkSync(target, sandbox.tokenFile);
    const expected = `fleet-mcp: token file ${sandbox.tokenFile} is a symbolic link to ${target}, which does not exist; remove the link (rm ${sandbox.tokenFile}) or make it point at the token file`;
    return { sandbox, expected };
  }

  it('stops serve with one line naming the link', async () => {
    const { sandbox, expected } = danglingLink();
    const { code, stderr } = await expectStartFailure(sandbox, { env: AUTH_ON });
    expect({ code, stderr: stderr.trim() }).toEqual({ code: 1, stderr: expected });
  });

  it.each([
    ['token', 'show'],
    ['token', 'rotate'],
    ['token', 'rotate', '--grace', '10m'],
  ])('stops `%s %s` with one line, leaving the link', async (...args) => {
    const { sandbox, expected } = danglingLink();
    const result = await runCli(sandbox, args);
    expect(result).toMatchObject({ code: 1, stdout: '' });
    expect(result.stderr.trim().split('\n')).toEqual([expect.stringContaining(expected.replace('fleet-mcp: ', ''))]);
    expect(lstatSync(sandbox.tokenFile).isSymbolicLink()).toBe(true);
  });
});
