import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadServerToken } from '../../src/auth/server-token.js';
import { type ConfigFlags, loadConfig } from '../../src/config.js';
import { errorReport } from '../../src/error-report.js';
import { readFleetConfig } from '../../src/fleet/fleet-config.js';
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

/** The whole of stderr is one line naming the problem, in the CLI's words, and no stack trace. */
function expectOneLine(stderr: string, pattern: RegExp): void {
  expect(stderr).toMatch(/^fleet-mcp: [^\n]+\n$/);
  expect(stderr).toMatch(pattern);
}

async function expectCliFailure(
  sandbox: Sandbox,
  env: NodeJS.ProcessEnv,
  pattern: RegExp,
  args: string[] = [],
): Promise<string> {
  const { code, stderr } = await expectStartFailure(sandbox, { env, args });
  expect(code).toBe(1);
  expectOneLine(stderr, pattern);
  return stderr;
}

function definedOnly(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined));
}

/**
 * What `serve` prints when it refuses this configuration, without starting a process: the checks serve runs before
 * it starts anything (settings, fleet config, token), in its order, and the CLI's own rendering of the error.
 */
function startReport(sandbox: Sandbox, env: NodeJS.ProcessEnv, flags?: ConfigFlags): string {
  try {
    const config = loadConfig({
      env: definedOnly({ ...sandbox.env, FLEET_MCP_PORT: '0', ...env }),
      cwd: sandbox.cwd,
      flags,
      configDir: sandbox.configDir,
    });
    readFleetConfig(config);
    if (config.auth.enabled) loadServerToken(config.auth);
  } catch (error) {
    return errorReport(error);
  }
  throw new Error('the configuration was accepted');
}

function expectRefused(sandbox: Sandbox, env: NodeJS.ProcessEnv, pattern: RegExp, flags?: ConfigFlags): string {
  const stderr = startReport(sandbox, env, flags);
  expectOneLine(stderr, pattern);
  return stderr;
}

// One case per kind of source goes through the real CLI: its exit code, its stderr, the flags it parses, the working
// directory it reads .env from. The rest check the same messages in-process.
describe('the CLI stops on bad configuration with exit 1 and one line on stderr', () => {
  it('for a variable', async () => {
    await expectCliFailure(
      createSandbox(),
      { FLEET_MCP_AUTH_ENABLED: 'maybe' },
      /^fleet-mcp: FLEET_MCP_AUTH_ENABLED must be one of true\/1\/yes\/on or false\/0\/no\/off \(got "maybe"\)\n$/,
    );
  });

  it('for a flag, naming the flag', async () => {
    await expectCliFailure(createSandbox(), {}, /^fleet-mcp: --port must be a port number/, ['--port', '99999']);
  });

  it('for .env in the working directory', async () => {
    const sandbox = createSandbox();
    writeFileSync(join(sandbox.cwd, '.env'), 'FLEET_MCP_PORT=123456\n');
    await expectCliFailure(
      sandbox,
      { FLEET_MCP_PORT: undefined },
      /^fleet-mcp: FLEET_MCP_PORT must be a port number from 0 to 65535 \(got "123456"\)\n$/,
    );
  });

  it('for a token file, which is left untouched', async () => {
    const sandbox = createSandbox();
    writeTokenFile(sandbox, '{"value": "abc');
    const stderr = await expectCliFailure(sandbox, AUTH_ON, /is not valid JSON/);
    expect(stderr).toContain(sandbox.tokenFile);
    expect(readFileSync(sandbox.tokenFile, 'utf8')).toBe('{"value": "abc');
  });

  it('for a fleet config', async () => {
    const sandbox = createSandbox();
    const file = join(sandbox.root, 'fleet.json');
    writeFileSync(file, '{"projetcs": {}}');
    await expectCliFailure(
      sandbox,
      { FLEET_MCP_CONFIG: file },
      /fleet config .*fleet\.json is invalid: Unrecognized key/i,
    );
  });
});

describe('bad configuration is refused with one line naming the setting and the fix', () => {
  it.each([
    [
      'FLEET_MCP_AUTH_ENABLED',
      { FLEET_MCP_AUTH_ENABLED: 'maybe' },
      /^fleet-mcp: FLEET_MCP_AUTH_ENABLED must be one of true\/1\/yes\/on or false\/0\/no\/off \(got "maybe"\)\n$/,
    ],
    ['AUTH_ENABLED', { AUTH_ENABLED: 'enabled' }, /^fleet-mcp: AUTH_ENABLED must be one of .*\(got "enabled"\)\n$/],
    [
      'a port out of range',
      { FLEET_MCP_PORT: '65536' },
      /^fleet-mcp: FLEET_MCP_PORT must be a port number from 0 to 65535 \(got "65536"\)\n$/,
    ],
    [
      'a port that is not a number',
      { FLEET_MCP_PORT: '80a' },
      /^fleet-mcp: FLEET_MCP_PORT must be a port number .*"80a"/,
    ],
    [
      'LOG_LEVEL',
      { LOG_LEVEL: 'loud' },
      /^fleet-mcp: LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent/,
    ],
    [
      'a weak FLEET_MCP_AUTH_TOKEN',
      { ...AUTH_ON, FLEET_MCP_AUTH_TOKEN: 'short' },
      /^fleet-mcp: FLEET_MCP_AUTH_TOKEN is not a valid token/,
    ],
  ])('%s', (_name, env, pattern) => {
    expectRefused(createSandbox(), env, pattern);
  });

  it('names the flag when a flag is wrong', () => {
    expectRefused(createSandbox(), {}, /^fleet-mcp: --port must be a port number .*"99999"/, { port: '99999' });
  });

  it('reads .env in the working directory, and the environment wins over it', () => {
    const sandbox = createSandbox();
    writeFileSync(join(sandbox.cwd, '.env'), 'FLEET_MCP_PORT=123456\n');
    expectRefused(
      sandbox,
      { FLEET_MCP_PORT: undefined },
      /^fleet-mcp: FLEET_MCP_PORT must be a port number from 0 to 65535 \(got "123456"\)\n$/,
    );
    writeFileSync(join(sandbox.cwd, '.env'), 'FLEET_MCP_PORT=0\nFLEET_MCP_AUTH_ENABLED=perhaps\n');
    expectRefused(
      sandbox,
      { FLEET_MCP_AUTH_ENABLED: 'sometimes' },
      /^fleet-mcp: FLEET_MCP_AUTH_ENABLED .*\(got "sometimes"\)\n$/,
    );
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
  ])('a token file %s, which is left untouched', (_name, content, pattern) => {
    const sandbox = createSandbox();
    writeTokenFile(sandbox, content);
    const stderr = expectRefused(sandbox, AUTH_ON, pattern);
    expect(stderr).toContain(sandbox.tokenFile);
    expect(readFileSync(sandbox.tokenFile, 'utf8')).toBe(content);
  });

  it('a token file that cannot be read', () => {
    const sandbox = createSandbox();
    mkdirSync(sandbox.tokenFile, { recursive: true, mode: 0o700 });
    const stderr = expectRefused(sandbox, AUTH_ON, /cannot read token file/);
    expect(stderr).toContain(sandbox.tokenFile);
  });

  it('a token file open to other users names the chmod that fixes it', () => {
    const sandbox = createSandbox();
    const value = rememberSecret('a'.repeat(43));
    writeTokenFile(sandbox, JSON.stringify({ value, created_at: '2026-01-01T00:00:00Z' }), 0o644);
    const stderr = expectRefused(sandbox, AUTH_ON, new RegExp(`chmod 600 ${sandbox.tokenFile}`));
    expect(stderr).not.toContain(value);
  });

  it('a token directory writable by other users names the chmod that fixes it', () => {
    const sandbox = createSandbox();
    const value = rememberSecret('b'.repeat(43));
    writeTokenFile(sandbox, JSON.stringify({ value, created_at: '2026-01-01T00:00:00Z' }));
    chmodSync(dirname(sandbox.tokenFile), 0o777);
    const stderr = expectRefused(sandbox, AUTH_ON, new RegExp(`chmod 700 ${dirname(sandbox.tokenFile)}`));
    expect(stderr).not.toContain(value);
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
  ])('a fleet config %s', (_name, content, pattern) => {
    const sandbox = createSandbox();
    const file = join(sandbox.root, 'fleet.json');
    writeFileSync(file, content);
    expect(expectRefused(sandbox, { FLEET_MCP_CONFIG: file }, pattern)).toContain(file);
  });

  it('a named fleet config that does not exist', () => {
    const sandbox = createSandbox();
    expectRefused(
      sandbox,
      { FLEET_MCP_CONFIG: join(sandbox.root, 'missing.json') },
      /^fleet-mcp: cannot read fleet config .*missing\.json/,
    );
  });
});
