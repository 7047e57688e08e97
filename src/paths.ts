import { homedir } from 'node:os';
import { resolve } from 'node:path';
import envPaths from 'env-paths';

const appPaths = envPaths('fleet-mcp', { suffix: '' });

export const defaultConfigDir = (): string => appPaths.config;
export const defaultDataDir = (): string => appPaths.data;
export const defaultCacheDir = (): string => appPaths.cache;

/** Resolves a user-given path: a leading `~` means the home directory, relative paths are taken from `base`. */
export function expandPath(input: string, base: string): string {
  if (input === '~') return homedir();
  if (input.startsWith('~/')) return resolve(homedir(), input.slice(2));
  return resolve(base, input);
}
