import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, type LoadConfigOptions } from '../../src/config.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const TOKEN = 'p'.repeat(43);

/** A working directory with this `.env`, and a config dir with this env file (mode 0600) when given. */
function place(
  dotEnv: string,
  userEnv?: string,
): { cwd: string; configDir: string; userFile: string; dotEnvFile: string } {
  const root = mkdtempSync(join(tmpdir(), 'fleet-mcp-sources-'));
  dirs.push(root);
  const cwd = join(root, 'clone');
  const configDir = join(root, 'config');
  mkdirSync(cwd);
  mkdirSync(configDir, { mode: 0o700 });
  const dotEnvFile = join(cwd, '.env');
  writeFileSync(dotEnvFile, dotEnv);
  const userFile = join(configDir, 'env');
  if (userEnv !== undefined) writeFileSync(userFile, userEnv, { mode: 0o600 });
  return { cwd, configDir, userFile, dotEnvFile };
}

function load(
  dotEnv: string,
  options: Partial<LoadConfigOptions> & { userEnv?: string } = {},
): ReturnType<typeof loadConfig> {
  const { cwd, configDir } = place(dotEnv, options.userEnv);
  return loadConfig({ env: {}, cwd, configDir, ...options });
}

const SECURITY: [string, string][] = [
  ['FLEET_MCP_AUTH_ENABLED', 'false'],
  ['FLEET_MCP_AUTH_TOKEN', TOKEN],
  ['FLEET_MCP_AUTH_TOKEN_FILE', '/tmp/planted-token'],
  ['FLEET_MCP_HOST', '0.0.0.0'],
  ['FLEET_MCP_ALLOWED_HOSTS', 'evil.example'],
  ['FLEET_MCP_ALLOWED_ORIGINS', 'https://evil.example'],
  ['FLEET_MCP_ALLOW_UNAUTHENTICATED', 'true'],
  ['FLEET_MCP_CONFIG', '/tmp/planted-config.json'],
  ['FLEET_MCP_DATA_DIR', '/tmp/planted-data'],
];

describe('a working-directory .env', () => {
  it.each(SECURITY)('may not set %s: the refusal names the file, the variable and where to move it', (name, value) => {
    const { cwd, configDir, userFile, dotEnvFile } = place(`${name}=${value}\n`);
    expect(() => loadConfig({ env: {}, cwd, configDir })).toThrow(ConfigError);
    expect(() => loadConfig({ env: {}, cwd, configDir })).toThrow(
      `${dotEnvFile} sets ${name}, which fleet-mcp never takes from a working-directory .env (it may have come with a cloned ` +
        `repository); move it to the environment or to ${userFile}`,
    );
  });

  it('names every planted variable in one line', () => {
    const { cwd, configDir } = place(`FLEET_MCP_AUTH_TOKEN=${TOKEN}\nFLEET_MCP_HOST=0.0.0.0\nLOG_LEVEL=debug\n`);
    expect(() => loadConfig({ env: {}, cwd, configDir })).toThrow(/ sets FLEET_MCP_AUTH_TOKEN, FLEET_MCP_HOST, which /);
  });

  it.each(SECURITY)('is ignored for %s when the environment sets it too', (name, value) => {
    const fromEnv = {
      ...Object.fromEntries(SECURITY),
      FLEET_MCP_AUTH_ENABLED: 'true',
      FLEET_MCP_AUTH_TOKEN: 'e'.repeat(43),
      FLEET_MCP_HOST: '127.0.0.1',
      FLEET_MCP_ALLOW_UNAUTHENTICATED: 'false',
      FLEET_MCP_ALLOWED_HOSTS: '',
      FLEET_MCP_ALLOWED_ORIGINS: '',
      FLEET_MCP_AUTH_TOKEN_FILE: '/env/token',
      FLEET_MCP_CONFIG: '/env/config.json',
      FLEET_MCP_DATA_DIR: '/env/data',
    };
    const { cwd, configDir, dotEnvFile } = place(`${name}=${value}\n`);
    const env = { [name]: fromEnv[name as keyof typeof fromEnv] };
    const withDotEnv = loadConfig({ env, cwd, configDir });
    writeFileSync(dotEnvFile, '');
    expect(withDotEnv).toEqual(loadConfig({ env, cwd, configDir }));
  });

  it('is ignored for a setting a flag gives', () => {
    expect(load('FLEET_MCP_HOST=0.0.0.0\n', { flags: { host: '127.0.0.2' } }).host).toBe('127.0.0.2');
    expect(load('FLEET_MCP_AUTH_ENABLED=false\n', { flags: { auth: true } }).auth.enabled).toBe(true);
  });

  it('never turns auth off against AUTH_ENABLED=true in the environment', () => {
    expect(load('FLEET_MCP_AUTH_ENABLED=false\n', { env: { AUTH_ENABLED: 'true' } }).auth.enabled).toBe(true);
  });

  it('never supplies the generic alias AUTH_ENABLED, which other programs use too', () => {
    expect(load('AUTH_ENABLED=false\n', { env: { AUTH_ENABLED: undefined } }).auth.enabled).toBe(false);
    expect(load('AUTH_ENABLED=true\n').auth.enabled).toBe(false);
    expect(load('AUTH_ENABLED=not-a-boolean\n').auth.enabled).toBe(false);
  });

  it('still sets what is harmless: port, log level, busy limit', () => {
    expect(load('FLEET_MCP_PORT=9100\nLOG_LEVEL=warn\nFLEET_MCP_MAX_BUSY=3\n')).toMatchObject({
      port: 9100,
      logLevel: 'warn',
      maxBusy: 3,
    });
  });
});

describe('the env file in the config dir', () => {
  it('may set the security settings, and the environment wins over it, which wins over .env', () => {
    const config = load('LOG_LEVEL=debug\nFLEET_MCP_PORT=9100\n', {
      userEnv: `FLEET_MCP_HOST=0.0.0.0\nFLEET_MCP_AUTH_ENABLED=true\nFLEET_MCP_AUTH_TOKEN=${TOKEN}\nLOG_LEVEL=warn\nFLEET_MCP_PORT=9200\n`,
      env: { FLEET_MCP_PORT: '9300' },
    });
    expect(config).toMatchObject({
      host: '0.0.0.0',
      auth: { enabled: true, envToken: TOKEN },
      logLevel: 'warn',
      port: 9300,
    });
  });

  it('lets the .env value of a setting it gives be ignored', () => {
    expect(load('FLEET_MCP_HOST=0.0.0.0\n', { userEnv: 'FLEET_MCP_HOST=127.0.0.3\n' }).host).toBe('127.0.0.3');
  });

  it('loses to AUTH_ENABLED in the environment: the environment wins for every name and alias', () => {
    expect(load('', { userEnv: 'FLEET_MCP_AUTH_ENABLED=false\n', env: { AUTH_ENABLED: 'true' } }).auth.enabled).toBe(
      true,
    );
    expect(load('', { userEnv: 'FLEET_MCP_AUTH_ENABLED=true\n', env: { AUTH_ENABLED: 'false' } }).auth.enabled).toBe(
      false,
    );
    expect(load('', { userEnv: 'AUTH_ENABLED=true\n' }).auth.enabled).toBe(true);
  });

  it('is refused when another user owns it, or other users may write it, naming the fix', () => {
    const { cwd, configDir, userFile } = place('', 'LOG_LEVEL=warn\n');
    chownSync(userFile, 65534, 65534);
    expect(() => loadConfig({ env: {}, cwd, configDir })).toThrow(
      `env file ${userFile} is owned by uid 65534, not by you (uid 0) or root, so that user could change it; fix it with: chown 0 ${userFile} (as root)`,
    );
    chownSync(userFile, 0, 0);
    chmodSync(userFile, 0o664);
    expect(() => loadConfig({ env: {}, cwd, configDir })).toThrow(
      `env file ${userFile} is writable by other users (mode 0664); fix it with: chmod go-w ${userFile}`,
    );
    chmodSync(userFile, 0o644);
    expect(loadConfig({ env: {}, cwd, configDir }).logLevel).toBe('warn');
    chmodSync(configDir, 0o777);
    expect(() => loadConfig({ env: {}, cwd, configDir })).toThrow(
      `directory ${configDir} of the env file is writable by other users (mode 0777)`,
    );
  });

  it('is refused when it holds the token and other users may read it', () => {
    const { cwd, configDir, userFile } = place('', `FLEET_MCP_AUTH_TOKEN=${TOKEN}\n`);
    chmodSync(userFile, 0o644);
    expect(() => loadConfig({ env: {}, cwd, configDir })).toThrow(
      `env file ${userFile} holds FLEET_MCP_AUTH_TOKEN and is open to other users (mode 0644); fix it with: chmod 600 ${userFile}`,
    );
    chmodSync(userFile, 0o600);
    expect(loadConfig({ env: {}, cwd, configDir }).auth.envToken).toBe(TOKEN);
  });
});
