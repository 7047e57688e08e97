import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig as load } from '../../src/config.js';

const cwd = mkdtempSync(join(tmpdir(), 'fleet-mcp-config-'));
afterAll(() => rmSync(cwd, { recursive: true, force: true }));

/** Reads no env file of the user running the tests. */
const loadConfig = (options: Parameters<typeof load>[0]): ReturnType<typeof load> =>
  load({ configDir: join(cwd, 'no-config-dir'), ...options });

describe('loadConfig', () => {
  it('has the documented defaults', () => {
    const config = loadConfig({ env: { HOME: '/home/u', XDG_CONFIG_HOME: '/home/u/.config' }, cwd });
    expect(config).toMatchObject({
      host: '127.0.0.1',
      port: 8000,
      logLevel: 'info',
      auth: { enabled: false, envToken: undefined },
    });
  });

  it('takes flags over the environment over .env', () => {
    writeFileSync(join(cwd, '.env'), 'FLEET_MCP_PORT=9001\nFLEET_MCP_MAX_BUSY=7\nLOG_LEVEL=debug\n');
    expect(loadConfig({ env: {}, cwd })).toMatchObject({ port: 9001, maxBusy: 7, logLevel: 'debug' });
    expect(loadConfig({ env: { FLEET_MCP_PORT: '9002' }, cwd })).toMatchObject({ port: 9002, maxBusy: 7 });
    expect(loadConfig({ env: { FLEET_MCP_PORT: '9002' }, cwd, flags: { port: '9003' } }).port).toBe(9003);
    rmSync(join(cwd, '.env'));
  });

  it.each([
    ['true', true],
    ['1', true],
    ['YES', true],
    [' on ', true],
    ['false', false],
    ['0', false],
    ['No', false],
    ['off', false],
  ])('reads FLEET_MCP_AUTH_ENABLED=%j', (value, expected) => {
    expect(loadConfig({ env: { FLEET_MCP_AUTH_ENABLED: value }, cwd }).auth.enabled).toBe(expected);
  });

  it('lets FLEET_MCP_AUTH_ENABLED and --no-auth settle the alias', () => {
    expect(loadConfig({ env: { AUTH_ENABLED: 'true' }, cwd }).auth.enabled).toBe(true);
    expect(loadConfig({ env: { AUTH_ENABLED: 'true', FLEET_MCP_AUTH_ENABLED: 'false' }, cwd }).auth.enabled).toBe(
      false,
    );
    expect(loadConfig({ env: { AUTH_ENABLED: 'whatever', FLEET_MCP_AUTH_ENABLED: 'on' }, cwd }).auth.enabled).toBe(
      true,
    );
    expect(loadConfig({ env: { AUTH_ENABLED: 'true' }, cwd, flags: { auth: false } }).auth.enabled).toBe(false);
  });

  it('serves the web view unless FLEET_MCP_UI or --no-ui turns it off', () => {
    expect(loadConfig({ env: {}, cwd }).ui).toBe(true);
    expect(loadConfig({ env: { FLEET_MCP_UI: 'false' }, cwd }).ui).toBe(false);
    expect(loadConfig({ env: { FLEET_MCP_UI: 'true' }, cwd, flags: { ui: false } }).ui).toBe(false);
    expect(() => loadConfig({ env: { FLEET_MCP_UI: 'maybe' }, cwd })).toThrow(/FLEET_MCP_UI must be one of/);
  });

  it('expands ~ and resolves relative paths from the working directory', () => {
    const config = loadConfig({ env: { FLEET_MCP_AUTH_TOKEN_FILE: 'tok', FLEET_MCP_DATA_DIR: '~/fleet' }, cwd });
    expect(config.auth.tokenFile).toBe(join(cwd, 'tok'));
    expect(config.dataDir).toMatch(/\/fleet$/);
    expect(config.dataDir.startsWith('~')).toBe(false);
  });

  it('takes host names and addresses for FLEET_MCP_ALLOWED_HOSTS, and refuses a port or a scheme', () => {
    expect(
      loadConfig({ env: { FLEET_MCP_ALLOWED_HOSTS: 'fleet.example.com, 10.0.0.5,[::2],::3' }, cwd }).guard.allowedHosts,
    ).toEqual(['fleet.example.com', '10.0.0.5', '[::2]', '::3']);
    for (const bad of ['fleet.example.com:8443', 'http://fleet.example.com', 'a b']) {
      expect(() => loadConfig({ env: { FLEET_MCP_ALLOWED_HOSTS: bad }, cwd })).toThrow(
        /^FLEET_MCP_ALLOWED_HOSTS must be a comma-separated list of host names/,
      );
    }
  });

  it('throws a ConfigError naming the variable', () => {
    expect(() => loadConfig({ env: { FLEET_MCP_PORT: '-1' }, cwd })).toThrow(ConfigError);
    expect(() => loadConfig({ env: { FLEET_MCP_PORT: '-1' }, cwd })).toThrow(/^FLEET_MCP_PORT /);
    expect(() => loadConfig({ env: { FLEET_MCP_HOST: '  ' }, cwd })).toThrow(/^FLEET_MCP_HOST must not be empty/);
  });

  it('takes the tuning knobs as durations, and keeps the headers timeout within the request timeout', () => {
    expect(loadConfig({ env: {}, cwd })).toMatchObject({
      shutdownGraceMs: 10_000,
      headersTimeoutMs: 10_000,
      maxAgents: 100,
    });
    expect(
      loadConfig({
        env: { FLEET_MCP_SHUTDOWN_GRACE: '300ms', FLEET_MCP_HEADERS_TIMEOUT: '30s', FLEET_MCP_MAX_AGENTS: '3' },
        cwd,
      }),
    ).toMatchObject({
      shutdownGraceMs: 300,
      headersTimeoutMs: 30_000,
      maxAgents: 3,
    });
    expect(() => loadConfig({ env: { FLEET_MCP_HEADERS_TIMEOUT: '31s' }, cwd })).toThrow(
      /^FLEET_MCP_HEADERS_TIMEOUT .*at most 30s/,
    );
    expect(() => loadConfig({ env: { FLEET_MCP_SHUTDOWN_GRACE: '0s' }, cwd })).toThrow(/^FLEET_MCP_SHUTDOWN_GRACE /);
    expect(() => loadConfig({ env: { FLEET_MCP_MAX_AGENTS: '0' }, cwd })).toThrow(/^FLEET_MCP_MAX_AGENTS /);
  });
});
