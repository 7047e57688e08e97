import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseEnv } from 'node:util';
import { ConfigError } from './config-error.js';
import { assertTrustedFile, modeText, shellWord } from './fs/ownership.js';

/**
 * The settings that decide who may call the server, where it listens, which commands it runs (the fleet config
 * chooses every role's argv) and what it removes and signals (the data dir's state). A `.env` in the working
 * directory may have come with a cloned repository, so these are taken only from flags, the environment and the
 * user's own env file in the config dir.
 */
const SECURITY_VARIABLES = [
  'FLEET_MCP_AUTH_ENABLED',
  'FLEET_MCP_AUTH_TOKEN',
  'FLEET_MCP_AUTH_TOKEN_FILE',
  'FLEET_MCP_TOKENS_FILE',
  'FLEET_MCP_HOST',
  'FLEET_MCP_ALLOWED_HOSTS',
  'FLEET_MCP_ALLOWED_ORIGINS',
  'FLEET_MCP_ALLOW_UNAUTHENTICATED',
  'FLEET_MCP_CONFIG',
  'FLEET_MCP_DATA_DIR',
] as const;

/** The generic alias of FLEET_MCP_AUTH_ENABLED: other programs use the name too, so a `.env` never supplies it. */
const AUTH_ALIAS = 'AUTH_ENABLED';

export interface EnvFile {
  file: string;
  values: NodeJS.Dict<string>;
}

function readEnvFile(file: string): NodeJS.Dict<string> {
  try {
    return parseEnv(readFileSync(file, 'utf8'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new ConfigError(`cannot read ${file}: ${(error as Error).message}`);
  }
}

/** `.env` in the working directory; a missing file is normal, an unreadable one is an error. */
export function readDotEnv(cwd: string): EnvFile {
  const file = join(cwd, '.env');
  return { file, values: readEnvFile(file) };
}

/** The user's own env file, `<config dir>/env`: trusted like the environment, so it must be safe from other users. */
export function readUserEnvFile(configDir: string): EnvFile {
  const file = join(configDir, 'env');
  if (!existsSync(file)) return { file, values: {} };
  assertTrustedFile(file, { what: 'env file' });
  const values = readEnvFile(file);
  const mode = statSync(file).mode;
  if (values.FLEET_MCP_AUTH_TOKEN !== undefined && (mode & 0o077) !== 0) {
    throw new ConfigError(
      `env file ${file} holds FLEET_MCP_AUTH_TOKEN and is open to other users (mode ${modeText(mode)}); fix it with: chmod 600 ${shellWord(file)}`,
    );
  }
  return { file, values };
}

export interface Sources {
  /** Variables set by command-line flags. */
  flags: Map<string, string>;
  env: NodeJS.ProcessEnv;
  userEnv: EnvFile;
  dotEnv: EnvFile;
}

const AUTH_VARIABLE = 'FLEET_MCP_AUTH_ENABLED';

/** The sources that may set anything, most important first; `.env` comes after them and only for harmless settings. */
function trusted(sources: Sources): NodeJS.Dict<string>[] {
  return [Object.fromEntries(sources.flags), sources.env, sources.userEnv.values];
}

/**
 * Auth on/off has two names. A source that sets either settles it: the environment's AUTH_ENABLED=true beats any
 * file's FLEET_MCP_AUTH_ENABLED=false. Within one source the specific name wins, since other programs use the alias.
 */
function authSetting(sources: Sources): [string, string] | undefined {
  for (const values of trusted(sources)) {
    for (const name of [AUTH_VARIABLE, AUTH_ALIAS]) {
      const value = values[name];
      if (value !== undefined) return [name, value];
    }
  }
  return undefined;
}

function trustedValue(sources: Sources, variable: string): string | undefined {
  for (const values of trusted(sources)) if (values[variable] !== undefined) return values[variable];
  return undefined;
}

/**
 * Refuses a `.env` that sets a security setting nothing trusted sets: starting with it could serve a planted token
 * or expose the server. One that something trusted also sets is ignored, since the trusted value wins anyway.
 */
function refusePlantedSettings(sources: Sources): void {
  const isSetElsewhere = (variable: string): boolean =>
    variable === AUTH_VARIABLE ? authSetting(sources) !== undefined : trustedValue(sources, variable) !== undefined;
  const planted = SECURITY_VARIABLES.filter(
    (variable) => sources.dotEnv.values[variable] !== undefined && !isSetElsewhere(variable),
  );
  if (planted.length === 0) return;
  const them = planted.length > 1 ? 'them' : 'it';
  throw new ConfigError(
    `${sources.dotEnv.file} sets ${planted.join(', ')}, which fleet-mcp never takes from a working-directory .env (it may have ` +
      `come with a cloned repository); move ${them} to the environment or to ${sources.userEnv.file}`,
  );
}

/**
 * The value of each variable in `names` by precedence: flags, then the environment, then the user's env file, then
 * `.env`, which may set only settings outside SECURITY_VARIABLES (and never the alias AUTH_ENABLED).
 */
export function mergeSources(sources: Sources, names: readonly string[]): Record<string, string> {
  refusePlantedSettings(sources);
  const merged: Record<string, string> = {};
  for (const name of names) {
    if (name === AUTH_VARIABLE || name === AUTH_ALIAS) continue;
    const isSecurity = (SECURITY_VARIABLES as readonly string[]).includes(name);
    const value = trustedValue(sources, name) ?? (isSecurity ? undefined : sources.dotEnv.values[name]);
    if (value !== undefined) merged[name] = value;
  }
  const auth = authSetting(sources);
  if (auth) merged[auth[0]] = auth[1];
  return merged;
}
