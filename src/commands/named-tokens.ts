import {
  createNamedToken,
  maskToken,
  readNamedTokens,
  revokeNamedToken,
  type NamedTokenRecord,
} from '../auth/named-token-store.js';
import { isScope, SCOPES, type Scope } from '../auth/scopes.js';
import { readTokenUsage, usageFileFor, type TokenUsage } from '../auth/token-usage.js';
import { readTokenFile } from '../auth/token-store.js';
import { ConfigError, loadConfig, type Config } from '../config.js';
import { parseDuration } from '../duration.js';

export interface NamedTokenFlags {
  tokenFile?: string;
}

function configFor(flags: NamedTokenFlags): Config {
  return loadConfig({ env: process.env, cwd: process.cwd(), flags: { tokenFile: flags.tokenFile } });
}

function parseScopes(text: string): Scope[] {
  const scopes = text
    .split(',')
    .map((item) => item.trim().toLowerCase())
    .filter((item) => item !== '');
  const unknown = scopes.filter((scope) => !isScope(scope));
  if (scopes.length === 0 || unknown.length > 0) {
    throw new ConfigError(
      `--scope must be a comma-separated list of ${SCOPES.join(', ')} (got ${JSON.stringify(text)})`,
    );
  }
  return scopes as Scope[];
}

/** An expiry is a date compared with the clock, never a timer, so it may go past the 24 days timers are held to. */
const MAX_EXPIRY_MS = 3650 * 86_400_000;

function parseExpiry(text: string | undefined): number | null {
  if (text === undefined || text === 'never') return null;
  const ms = parseDuration(text, MAX_EXPIRY_MS);
  if (ms === undefined || ms <= 0) {
    throw new ConfigError(
      `--expires must be a duration such as 12h, 30d or 365d (above zero, at most 3650d), or "never" (got ${JSON.stringify(text)})`,
    );
  }
  return ms;
}

function parseRate(text: string | undefined): number | null {
  if (text === undefined) return null;
  if (!/^[1-9]\d{0,6}$/.test(text.trim()))
    throw new ConfigError(
      `--rate-limit must be a whole number of requests per minute, 1 to 9999999 (got ${JSON.stringify(text)})`,
    );
  return Number(text.trim());
}

/** Prints the new token and nothing else on stdout, so `T=$(fleet-mcp token create ci)` captures it. */
export function tokenCreateCommand(
  name: string,
  flags: NamedTokenFlags & { scope: string; expires?: string; rateLimit?: string },
): void {
  const config = configFor(flags);
  const { value, record } = createNamedToken(config.auth.namedTokensFile, {
    name,
    scopes: parseScopes(flags.scope),
    expiresInMs: parseExpiry(flags.expires),
    ratePerMinute: parseRate(flags.rateLimit),
  });
  process.stdout.write(`${value}\n`);
  const expiry = record.expires_at ? `expires ${record.expires_at}` : 'does not expire';
  process.stderr.write(
    `Token "${record.name}" (scopes ${record.scopes.join(', ')}; ${expiry}) is shown only now: ${config.auth.namedTokensFile} keeps its hash. ` +
      'A running server accepts it within a second.\n',
  );
}

export function tokenRevokeCommand(name: string, flags: NamedTokenFlags): void {
  const config = configFor(flags);
  const record = revokeNamedToken(config.auth.namedTokensFile, name);
  process.stderr.write(
    `Token "${record.name}" revoked at ${record.revoked_at}; a running server refuses it within a second.\n`,
  );
}

interface ListedToken {
  name: string;
  scopes: readonly Scope[];
  token: string;
  created_at: string | null;
  expires_at: string | null;
  last_used_at: string | null;
  requests: number;
  rate_per_minute: number | null;
  status: 'active' | 'expired' | 'revoked';
}

function listed(record: NamedTokenRecord, usage: TokenUsage, now: number): ListedToken {
  const expired = record.expires_at !== null && now >= Date.parse(record.expires_at);
  return {
    name: record.name,
    scopes: record.scopes,
    token: maskToken(record.hint),
    created_at: record.created_at,
    expires_at: record.expires_at,
    last_used_at: usage[record.name]?.last_used_at ?? null,
    requests: usage[record.name]?.requests ?? 0,
    rate_per_minute: record.rate_per_minute,
    status: record.revoked_at ? 'revoked' : expired ? 'expired' : 'active',
  };
}

/** The shared token's row, when a token file holds it; env tokens and credentials are not this command's to show. */
function sharedRow(config: Config, usage: TokenUsage): ListedToken[] {
  const record = readTokenFile(config.auth.tokenFile);
  if (!record) return [];
  return [
    {
      name: 'shared',
      scopes: ['admin'],
      token: maskToken(record.value.slice(-4)),
      created_at: record.created_at,
      expires_at: null,
      last_used_at: usage.shared?.last_used_at ?? null,
      requests: usage.shared?.requests ?? 0,
      rate_per_minute: null,
      status: 'active',
    },
  ];
}

function table(rows: ListedToken[]): string {
  const header = ['NAME', 'SCOPES', 'TOKEN', 'STATUS', 'CREATED', 'EXPIRES', 'LAST USED', 'REQUESTS', 'RATE/MIN'];
  const cells = rows.map((row) => [
    row.name,
    row.scopes.join(','),
    row.token,
    row.status,
    row.created_at ?? '-',
    row.expires_at ?? 'never',
    row.last_used_at ?? 'never',
    String(row.requests),
    row.rate_per_minute === null ? '-' : String(row.rate_per_minute),
  ]);
  const widths = header.map((title, column) => Math.max(title.length, ...cells.map((line) => line[column]!.length)));
  return [header, ...cells]
    .map((line) =>
      line
        .map((cell, column) => cell.padEnd(widths[column]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** Names, scopes, dates and a masked form: never a token value. */
export function tokenListCommand(flags: NamedTokenFlags & { json?: boolean }): void {
  const config = configFor(flags);
  const usage = readTokenUsage(usageFileFor(config.auth.namedTokensFile));
  const now = Date.now();
  const rows = [
    ...sharedRow(config, usage),
    ...readNamedTokens(config.auth.namedTokensFile).map((record) => listed(record, usage, now)),
  ];
  process.stdout.write(flags.json ? `${JSON.stringify(rows, null, 2)}\n` : `${table(rows)}\n`);
}
