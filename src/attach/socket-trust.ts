import { lstatSync, type Stats } from 'node:fs';
import { dirname } from 'node:path';
import { ConfigError } from '../config-error.js';
import { assertTrustedDirectory, isTrustedOwner, shellWord } from '../fs/ownership.js';

/**
 * Whether `path` may be the fleet's socket: in a data dir only this user (and root) can write, and a socket this
 * user or root owns.
 * False when there is none yet (nothing listens; a fleet may be started). Throws when something else is there:
 * another user's listener would be handed the client's messages and could answer anything.
 */
export function isOwnSocket(path: string): boolean {
  const dataDir = dirname(path);
  try {
    assertTrustedDirectory(dataDir, 'data dir');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
  let stats: Stats;
  try {
    stats = lstatSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
  if (!stats.isSocket() || !isTrustedOwner(stats.uid)) {
    throw new ConfigError(
      `${path} is not a socket owned by you or root (owner uid ${stats.uid}), so no fleet-mcp server to trust; remove it: rm ${shellWord(path)}`,
    );
  }
  return true;
}
