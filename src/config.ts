import { isIP } from 'node:net';
import { dirname, join } from 'node:path';
import * as z from 'zod';
import { isValidToken, TOKEN_RULE } from './auth/token.js';
import { ConfigError } from './config-error.js';
import { mergeSources, readDotEnv, readUserEnvFile } from './config-sources.js';
import { DURATION_RULE, parseDuration } from './duration.js';
import { REQUEST_TIMEOUT_MS } from './http/limits.js';
import { defaultConfigDir, defaultDataDir, expandPath } from './paths.js';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface AuthConfig {
  enabled: boolean;
  tokenFile: string;
  /** A token handed over by a secret manager; it wins over the file and is never written to disk. */
  envToken: string | undefined;
  /** Set by systemd when the unit loads credentials; a `fleet-mcp-token` credential there wins over the file. */
  credentialsDirectory: string | undefined;
  /** Hashes of the named, scoped tokens that `fleet-mcp token create` makes; beside the token file by default. */
  namedTokensFile: string;
}

export interface GuardConfig {
  /** Extra Host names to answer to, besides loopback names and the bound host. */
  allowedHosts: string[];
  /** Extra browser origins allowed to call the server. */
  allowedOrigins: string[];
  /** The user's explicit consent to serve a non-loopback address without auth. */
  allowUnauthenticated: boolean;
}

export interface Config {
  host: string;
  port: number;
  guard: GuardConfig;
  logLevel: LogLevel;
  auth: AuthConfig;
  fleetConfigFile: string;
  /** True when the user named the fleet config file, so its absence is an error rather than the default. */
  fleetConfigRequired: boolean;
  dataDir: string;
  /** How many agents may run a task at the same time. */
  maxBusy: number;
  /** Whether stopping the server cancels running tasks; by default they run on and the next server follows them. */
  stopAgentsOnExit: boolean;
  /** How many agents may exist at once; create_agent is refused past it. */
  maxAgents: number;
  /** Open HTTP connections allowed at once; past it the oldest idle one makes room. */
  maxConnections: number;
  /** MCP sessions open at once; past it an initialize is served without a session. */
  maxSessions: number;
  /** An MCP session with no request and no open stream for this long is closed. */
  sessionIdleMs: number;
  /** On SIGTERM/SIGINT, how long requests in flight may take before they are dropped (a tuning knob for tests). */
  shutdownGraceMs: number;
  /** How long a client may take to send its request headers (a tuning knob for tests). */
  headersTimeoutMs: number;
  /** Whether the web view is served at /ui. */
  ui: boolean;
  cwd: string;
}

/** Command-line flags; each one overrides the variable it is paired with in FLAG_VARIABLES. */
export interface ConfigFlags {
  host?: string;
  port?: string;
  auth?: boolean;
  tokenFile?: string;
  config?: string;
  dataDir?: string;
  maxBusy?: string;
  stopAgentsOnExit?: boolean;
  logLevel?: string;
  allowUnauthenticated?: boolean;
  ui?: boolean;
}

export interface LoadConfigOptions {
  env: NodeJS.ProcessEnv;
  cwd: string;
  flags?: ConfigFlags;
  /** Where the user's env file, token file and fleet config live by default; the env-paths config dir unless given. */
  configDir?: string;
}

export { ConfigError } from './config-error.js';

const FLAG_VARIABLES = {
  host: ['FLEET_MCP_HOST', '--host'],
  port: ['FLEET_MCP_PORT', '--port'],
  auth: ['FLEET_MCP_AUTH_ENABLED', '--auth / --no-auth'],
  tokenFile: ['FLEET_MCP_AUTH_TOKEN_FILE', '--token-file'],
  config: ['FLEET_MCP_CONFIG', '--config'],
  dataDir: ['FLEET_MCP_DATA_DIR', '--data-dir'],
  maxBusy: ['FLEET_MCP_MAX_BUSY', '--max-busy'],
  stopAgentsOnExit: ['FLEET_MCP_STOP_AGENTS_ON_EXIT', '--stop-agents-on-exit'],
  logLevel: ['LOG_LEVEL', '--log-level'],
  allowUnauthenticated: ['FLEET_MCP_ALLOW_UNAUTHENTICATED', '--allow-unauthenticated'],
  ui: ['FLEET_MCP_UI', '--ui / --no-ui'],
} as const satisfies Record<keyof ConfigFlags, readonly [string, string]>;

const booleanVariable = z
  .string()
  .trim()
  .pipe(
    z.stringbool({
      truthy: ['true', '1', 'yes', 'on'],
      falsy: ['false', '0', 'no', 'off'],
      error: (issue) => `must be one of true/1/yes/on or false/0/no/off (got ${JSON.stringify(issue.input)})`,
    }),
  );

const portVariable = z
  .string()
  .trim()
  .refine((text) => /^\d{1,5}$/.test(text) && Number(text) <= 65535, {
    error: (issue) => `must be a port number from 0 to 65535 (got ${JSON.stringify(issue.input)})`,
  })
  .transform(Number);

const maxBusyVariable = z
  .string()
  .trim()
  .regex(/^[1-9]\d{0,5}$/, {
    error: (issue) => `must be a whole number of at least 1 (got ${JSON.stringify(issue.input)})`,
  })
  .transform(Number);

/** A duration variable above zero and at most `maxMs`, in milliseconds. */
function durationVariable(maxMs?: number) {
  return z
    .string()
    .trim()
    .transform((text, ctx) => {
      const ms = parseDuration(text);
      if (ms !== undefined && ms > 0 && (maxMs === undefined || ms <= maxMs)) return ms;
      const range = maxMs === undefined ? 'above zero' : `above zero and at most ${maxMs / 1000}s`;
      ctx.addIssue({ code: 'custom', message: `must be ${DURATION_RULE}, ${range} (got ${JSON.stringify(text)})` });
      return z.NEVER;
    });
}

const pathVariable = z.string().trim().min(1, { error: 'must not be empty' });

/** A host name or an IP address (IPv6 with or without brackets): what a Host header names, without a port. */
function isHostName(text: string): boolean {
  if (isIP(text.replace(/^\[(.*)\]$/, '$1')) !== 0) return true;
  return /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i.test(text);
}

const listVariable = z.string().transform((text) =>
  text
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== ''),
);

/** An origin is a scheme, host and optional port: no path, query or fragment. */
function isOrigin(text: string): boolean {
  try {
    const url = new URL(text);
    return (
      (url.protocol === 'http:' || url.protocol === 'https:') &&
      url.pathname === '/' &&
      !url.search &&
      !url.hash &&
      !url.username
    );
  } catch {
    return false;
  }
}

const originList = listVariable
  .refine((origins) => origins.every(isOrigin), {
    error: 'must be a comma-separated list of origins such as https://app.example.com or http://localhost:3000',
  })
  .transform((origins) => origins.map((origin) => new URL(origin).origin));

const variablesSchema = z.object({
  FLEET_MCP_AUTH_ENABLED: booleanVariable.optional(),
  AUTH_ENABLED: booleanVariable.optional(),
  FLEET_MCP_AUTH_TOKEN_FILE: pathVariable.optional(),
  FLEET_MCP_TOKENS_FILE: pathVariable.optional(),
  FLEET_MCP_AUTH_TOKEN: z
    .string()
    .trim()
    .refine(isValidToken, { error: `is not a valid token: ${TOKEN_RULE}` })
    .optional(),
  FLEET_MCP_HOST: z.string().trim().min(1, { error: 'must not be empty' }).default('127.0.0.1'),
  FLEET_MCP_PORT: portVariable.default(8000),
  LOG_LEVEL: z
    .string()
    .trim()
    .toLowerCase()
    .pipe(z.enum(LOG_LEVELS, { error: `must be one of ${LOG_LEVELS.join(', ')}` }))
    .default('info'),
  FLEET_MCP_CONFIG: pathVariable.optional(),
  FLEET_MCP_DATA_DIR: pathVariable.optional(),
  FLEET_MCP_MAX_BUSY: maxBusyVariable.optional(),
  FLEET_MCP_STOP_AGENTS_ON_EXIT: booleanVariable.default(false),
  FLEET_MCP_MAX_AGENTS: z
    .string()
    .trim()
    .regex(/^[1-9]\d{0,5}$/, {
      error: (issue) => `must be a whole number from 1 to 999999 (got ${JSON.stringify(issue.input)})`,
    })
    .transform(Number)
    .default(100),
  FLEET_MCP_MAX_CONNECTIONS: z
    .string()
    .trim()
    .regex(/^[1-9]\d{0,5}$/, {
      error: (issue) => `must be a whole number from 1 to 999999 (got ${JSON.stringify(issue.input)})`,
    })
    .transform(Number)
    .default(256),
  FLEET_MCP_MAX_SESSIONS: z
    .string()
    .trim()
    .regex(/^\d{1,6}$/, {
      error: (issue) => `must be a whole number from 0 (no sessions) to 999999 (got ${JSON.stringify(issue.input)})`,
    })
    .transform(Number)
    .default(200),
  FLEET_MCP_SESSION_IDLE_TIMEOUT: durationVariable().default(3_600_000),
  FLEET_MCP_SHUTDOWN_GRACE: durationVariable().default(10_000),
  FLEET_MCP_HEADERS_TIMEOUT: durationVariable(REQUEST_TIMEOUT_MS).default(10_000),
  FLEET_MCP_ALLOWED_HOSTS: listVariable
    .refine((hosts) => hosts.every(isHostName), {
      error:
        'must be a comma-separated list of host names or IP addresses, without scheme or port (e.g. fleet.example.com,10.0.0.5)',
    })
    .default([]),
  FLEET_MCP_ALLOWED_ORIGINS: originList.default([]),
  FLEET_MCP_ALLOW_UNAUTHENTICATED: booleanVariable.default(false),
  FLEET_MCP_UI: booleanVariable.default(true),
});

type Variables = z.infer<typeof variablesSchema>;

/** The variables the flags set, each with the flag's name for errors. */
function flagValues(flags: ConfigFlags = {}): Map<string, { value: string; flag: string }> {
  const values = new Map<string, { value: string; flag: string }>();
  for (const [flag, [variable, flagName]] of Object.entries(FLAG_VARIABLES)) {
    const value = flags[flag as keyof ConfigFlags];
    if (value !== undefined) values.set(variable, { value: String(value), flag: flagName });
  }
  return values;
}

/** Merges the sources by precedence and remembers which flag supplied a value, to name it in errors. */
function collectRaw(
  options: LoadConfigOptions,
  configDir: string,
): { raw: Record<string, unknown>; fromFlag: Map<string, string> } {
  const flags = flagValues(options.flags);
  const raw = mergeSources(
    {
      flags: new Map([...flags].map(([variable, { value }]) => [variable, value])),
      env: options.env,
      userEnv: readUserEnvFile(configDir),
      dotEnv: readDotEnv(options.cwd),
    },
    Object.keys(variablesSchema.shape),
  );
  return { raw, fromFlag: new Map([...flags].map(([variable, { flag }]) => [variable, flag])) };
}

function parseVariables(options: LoadConfigOptions, configDir: string): Variables {
  const { raw, fromFlag } = collectRaw(options, configDir);
  const result = variablesSchema.safeParse(raw);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const variable = String(issue.path[0]);
  throw new ConfigError(`${fromFlag.get(variable) ?? variable} ${issue.message}`);
}

/** Builds the one typed Config the rest of the program trusts; throws ConfigError on any bad value. */
export function loadConfig(options: LoadConfigOptions): Config {
  const configDir = options.configDir ?? defaultConfigDir();
  const vars = parseVariables(options, configDir);
  const cwd = options.cwd;
  const tokenFile = expandPath(vars.FLEET_MCP_AUTH_TOKEN_FILE ?? join(configDir, 'auth_token'), cwd);
  return {
    host: vars.FLEET_MCP_HOST,
    port: vars.FLEET_MCP_PORT,
    guard: {
      allowedHosts: vars.FLEET_MCP_ALLOWED_HOSTS,
      allowedOrigins: vars.FLEET_MCP_ALLOWED_ORIGINS,
      allowUnauthenticated: vars.FLEET_MCP_ALLOW_UNAUTHENTICATED,
    },
    logLevel: vars.LOG_LEVEL,
    auth: {
      enabled: vars.FLEET_MCP_AUTH_ENABLED ?? vars.AUTH_ENABLED ?? false,
      tokenFile,
      envToken: vars.FLEET_MCP_AUTH_TOKEN,
      credentialsDirectory: options.env.CREDENTIALS_DIRECTORY || undefined,
      namedTokensFile: expandPath(vars.FLEET_MCP_TOKENS_FILE ?? join(dirname(tokenFile), 'tokens.json'), cwd),
    },
    fleetConfigFile: expandPath(vars.FLEET_MCP_CONFIG ?? join(configDir, 'config.json'), cwd),
    fleetConfigRequired: vars.FLEET_MCP_CONFIG !== undefined,
    dataDir: expandPath(vars.FLEET_MCP_DATA_DIR ?? defaultDataDir(), cwd),
    // Agent CLIs spend most of a task waiting on their model's API, not on the CPU, so the CPU count (2 on many
    // hosts) would leave slots idle. Memory is the real limit: each agent CLI with its tools takes a few hundred MB,
    // and 8 of them fit a small machine. Tasks beyond the limit queue rather than fail.
    maxBusy: vars.FLEET_MCP_MAX_BUSY ?? 8,
    stopAgentsOnExit: vars.FLEET_MCP_STOP_AGENTS_ON_EXIT,
    maxAgents: vars.FLEET_MCP_MAX_AGENTS,
    maxConnections: vars.FLEET_MCP_MAX_CONNECTIONS,
    maxSessions: vars.FLEET_MCP_MAX_SESSIONS,
    sessionIdleMs: vars.FLEET_MCP_SESSION_IDLE_TIMEOUT,
    shutdownGraceMs: vars.FLEET_MCP_SHUTDOWN_GRACE,
    headersTimeoutMs: vars.FLEET_MCP_HEADERS_TIMEOUT,
    ui: vars.FLEET_MCP_UI,
    cwd,
  };
}
