import { readTokenFile, rotateTokenFile } from '../auth/token-store.js';
import { ConfigError, loadConfig, type Config } from '../config.js';

export interface TokenCommandFlags {
  tokenFile?: string;
}

function configFor(flags: TokenCommandFlags): Config {
  return loadConfig({ env: process.env, cwd: process.cwd(), flags: { tokenFile: flags.tokenFile } });
}

/** Prints only the token and a newline, so `$(fleet-mcp token show)` is the token itself. */
export function tokenShowCommand(flags: TokenCommandFlags & { json?: boolean }): void {
  const config = configFor(flags);
  if (config.auth.envToken) {
    const value = config.auth.envToken;
    process.stdout.write(flags.json ? `${JSON.stringify({ value, source: 'FLEET_MCP_AUTH_TOKEN' })}\n` : `${value}\n`);
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

export function tokenRotateCommand(flags: TokenCommandFlags): void {
  const config = configFor(flags);
  const record = rotateTokenFile(config.auth.tokenFile);
  process.stdout.write(`${record.value}\n`);
  process.stderr.write(`New token written to ${config.auth.tokenFile}. A running server uses it after a restart.\n`);
  if (config.auth.envToken) {
    process.stderr.write('Note: FLEET_MCP_AUTH_TOKEN is set, and a server started with it ignores the token file.\n');
  }
}

export function tokenPathCommand(flags: TokenCommandFlags): void {
  process.stdout.write(`${configFor(flags).auth.tokenFile}\n`);
}
