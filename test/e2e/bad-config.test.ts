import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanupSandboxes, createSandbox, type Sandbox } from '../helpers/sandbox.js';
import { expectNoSecretInLogs, rememberSecret } from '../helpers/secrets.js';
import { expectStartFailure, killServers } from '../helpers/server.js';

afterAll(() => {
  killServers();
  expectNoSecretInLogs();
  cleanupSandboxes();
});

const AUTH_ON = { FLEET_MCP_AUTH_ENABLED: 'true' };

function writeTokenFile(sandbox: Sandbox, content: string, mode = 0o600): void {
  mkdirSync(dirname(sandbox.tokenFile), { recursive: true, mode: 0o700 });
  writeFileSync(sandbox.tokenFile, content, { mode });
  chmodSync(sandbox.tokenFile, mode);
}

async function expectOneLineFailure(
  sandbox: Sandbox,
  env: NodeJS.ProcessEnv,
  pattern: RegExp,
  args: string[] = [],
): Promise<string> {
  const { code, stderr } = await expectStartFailure(sandbox, { env, args });
  expect(code).toBe(1);
  expect(stderr).toMatch(pattern);
  expect(stderr.trim().split('\n')).toHaveLength(1);
  return stderr;
}

describe('bad configuration stops the server with one clear line and exit 1', () => {
  it.each([
    [
      'FLEET_MCP_AUTH_ENABLED',
      { FLEET_MCP_AUTH_ENABLED: 'maybe' },
      /FLEET_MCP_AUTH_ENABLED must be one of true\/1\/yes\/on or false\/0\/no\/off \(got "maybe"\)/,
    ],
    ['AUTH_ENABLED', { AUTH_ENABLED: 'enabled' }, /AUTH_ENABLED must be one of/],
    ['a port out of range', { FLEET_MCP_PORT: '65536' }, /FLEET_MCP_PORT must be a port number from 0 to 65535/],
    ['a port that is not a number', { FLEET_MCP_PORT: '80a' }, /FLEET_MCP_PORT must be a port number/],
    ['LOG_LEVEL', { LOG_LEVEL: 'loud' }, /LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent/],
    [
      'a weak FLEET_MCP_AUTH_TOKEN',
      { ...AUTH_ON, FLEET_MCP_AUTH_TOKEN: 'short' },
      /FLEET_MCP_AUTH_TOKEN is not a valid token/,
    ],
  ])('%s', async (_name, env, pattern) => {
    await expectOneLineFailure(createSandbox(), env, pattern);
  });

  it('names the flag when a flag is wrong', async () => {
    await expectOneLineFailure(createSandbox(), {}, /--port must be a port number/, ['--port', '99999']);
  });

  it('reads .env in the working directory, and the environment wins over it', async () => {
    const sandbox = createSandbox();
    writeFileSync(join(sandbox.cwd, '.env'), 'FLEET_MCP_PORT=123456\n');
    await expectOneLineFailure(
      sandbox,
      { FLEET_MCP_PORT: undefined },
      /FLEET_MCP_PORT must be a port number from 0 to 65535 \(got "123456"\)/,
    );
    writeFileSync(join(sandbox.cwd, '.env'), 'FLEET_MCP_PORT=0\nFLEET_MCP_AUTH_ENABLED=perhaps\n');
    await expectOneLineFailure(sandbox, { FLEET_MCP_AUTH_ENABLED: 'sometimes' }, /got "sometimes"/);
  });

  it.each([
    ['not valid JSON', '{"value": "abc', /is not valid JSON/],
    ['without a value', '{"created_at": "2026-01-01T00:00:00Z"}', /has no "value" field/],
    [
      'with a value that is not a token',
      '{"value": "not a token!", "created_at": "2026-01-01T00:00:00Z"}',
      /"value" is not a valid token/,
    ],
    ['with a short value', '{"value": "abc", "created_at": "2026-01-01T00:00:00Z"}', /"value" is not a valid token/],
    ['empty', '', /is not valid JSON/],
  ])('a token file %s, which is left untouched', async (_name, content, pattern) => {
    const sandbox = createSandbox();
    writeTokenFile(sandbox, content);
    const stderr = await expectOneLineFailure(sandbox, AUTH_ON, pattern);
    expect(stderr).toContain(sandbox.tokenFile);
    expect(readFileSync(sandbox.tokenFile, 'utf8')).toBe(content);
  });

  it('a token file that cannot be read', async () => {
    const sandbox = createSandbox();
    mkdirSync(sandbox.tokenFile, { recursive: true, mode: 0o700 });
    const stderr = await expectOneLineFailure(sandbox, AUTH_ON, /cannot read token file/);
    expect(stderr).toContain(sandbox.tokenFile);
  });

  it('a token file open to other users names the chmod that fixes it', async () => {
    const sandbox = createSandbox();
    const value = rememberSecret('a'.repeat(43));
    writeTokenFile(sandbox, JSON.stringify({ value, created_at: '2026-01-01T00:00:00Z' }), 0o644);
    await expectOneLineFailure(sandbox, AUTH_ON, new RegExp(`chmod 600 ${sandbox.tokenFile}`));
  });

  it('a token directory writable by other users names the chmod that fixes it', async () => {
    const sandbox = createSandbox();
    writeTokenFile(sandbox, JSON.stringify({ value: 'b'.repeat(43), created_at: '2026-01-01T00:00:00Z' }));
    rememberSecret('b'.repeat(43));
    chmodSync(dirname(sandbox.tokenFile), 0o777);
    await expectOneLineFailure(sandbox, AUTH_ON, new RegExp(`chmod 700 ${dirname(sandbox.tokenFile)}`));
  });

  it.each([
    ['not valid JSON', '{', /fleet config .* is not valid JSON/],
    ['with an unknown key', '{"projetcs": {}}', /is invalid: Unrecognized key/i],
    ['with a project without a path', '{"projects": {"api": {}}}', /projects\.api\.path/],
    [
      'with a missing project directory',
      '{"projects": {"api": {"path": "/nonexistent/dir"}}}',
      /project "api": \/nonexistent\/dir is not an existing directory/,
    ],
    [
      'with a provider_stall that is no duration',
      '{"roles": {"r": {"command": ["echo", "{task}"], "provider_stall": "soon"}}}',
      /roles\.r\.provider_stall: provider_stall must be .*or "none"/,
    ],
    [
      'with a role budget of no dollars',
      '{"roles": {"r": {"command": ["echo", "{task}"], "budget": {"usd": 0}}}}',
      /roles\.r\.budget\.usd: budget\.usd must be above zero/,
    ],
    [
      'with an empty project budget',
      '{"projects": {"api": {"path": "/", "budget": {}}}}',
      /projects\.api\.budget: budget must set usd, tokens or both/,
    ],
  ])('a fleet config %s', async (_name, content, pattern) => {
    const sandbox = createSandbox();
    const file = join(sandbox.root, 'fleet.json');
    writeFileSync(file, content);
    await expectOneLineFailure(sandbox, { FLEET_MCP_CONFIG: file }, pattern);
  });

  it('a named fleet config that does not exist', async () => {
    const sandbox = createSandbox();
    await expectOneLineFailure(
      sandbox,
      { FLEET_MCP_CONFIG: join(sandbox.root, 'missing.json') },
      /cannot read fleet config .*missing\.json/,
    );
  });
});
