import { realpathSync } from 'node:fs';
import { isSea } from 'node:sea';

/**
 * The absolute command that runs this very install: the single executable alone, or this Node with the real
 * path of the script it runs (symlinks such as /usr/local/bin/fleet-mcp resolved, so the unit needs no PATH).
 */
export function installCommand(): string[] {
  if (isSea()) return [process.execPath];
  return [process.execPath, realpathSync(process.argv[1]!)];
}

/** npx runs packages from a cache that it may clear at any time, which would break a unit pointing into it. */
export function isTransient(command: readonly string[]): boolean {
  return command.some((part) => part.includes('/_npx/'));
}
