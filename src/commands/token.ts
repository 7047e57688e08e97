import { credentialToken } from '../auth/server-token.js';
import { readTokenFile, rotateTokenFile } from '../auth/token-store.js';
import { ConfigError, loadConfig, type Config } from '../config.js';
import { DURATION_RULE, parseDuration } from '../duration.js';

export interface TokenCommandFlags {
  tokenFile?: string;
}

function configFor(flags: TokenCommandFlags): Config {
  return loadConfig({ env: process.env, cwd: process.cwd(), flags: { tokenFile: flags.tokenFile } });
}

/** The same order as the server's: a secret manager's token, then a systemd credential, then the file. */
function overridingToken(config: Config): { value: string; source: string } | undefined {
  if (config.auth.envToken) return { value: config.auth.envToken, source: 'FLEET_MCP_AUTH_TOKEN' };
  const credential = credentialToken(config.auth);
  return credential && { value: credential.value, source: 'systemd credential' };
}

/** Prints only the token and a newline, so `$(fleet-mcp token show)` is the token itself. */
export function tokenShowCommand(flags: TokenCommandFlags & { json?: boolean }): void {
  const config = configFor(flags);
  const override = overridingToken(config);
  if (override) {
    process.stdout.write(flags.json ? `${JSON.stringify(override)}\n` : `${override.value}\n`);
    return;
  }
  const record = readTokenFile(config.auth.tokenFile);
  if (!record) {
    throw new ConfigError(
      `no token file at ${config.auth.tokenFile}; create one with \`fleet-mcp token rotate\`, or start the server once with FLEET_MCP_AUTH_ENABLED=true`,
    );
  }
  process.stdout.write(flags.json ? `${JSON.stringify(record)}\n` : `${record.value}\n`);
}

function graceMs(text: string | undefined): number {
  if (text === undefined) return 0;
  const ms = parseDuration(text);
  if (ms === undefined) throw new ConfigError(`--grace must be ${DURATION_RULE} (got ${JSON.stringify(text)})`);
  return ms;
}

export function tokenRotateCommand(flags: TokenCommandFlags & { grace?: string }): void {
  const config = configFor(flags);
  const record = rotateTokenFile(config.auth.tokenFile, { graceMs: graceMs(flags.grace) });
  process.stdout.write(`${record.value}\n`);
  const previous = record.previous
    ? `the previous token stays valid until ${record.previous.expires_at}`
    : 'the previous token is no longer valid';
  process.stderr.write(
    `New token written to ${config.auth.tokenFile}; a running server picks it up within a second, and ${previous}.\n`,
  );
  if (config.auth.envToken) {
    process.stderr.write('Note: FLEET_MCP_AUTH_TOKEN is set, and a server started with it ignores the token file.\n');
  }
}

export function tokenPathCommand(flags: TokenCommandFlags): void {
  process.stdout.write(`${configFor(flags).auth.tokenFile}\n`);
}
