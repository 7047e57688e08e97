import { statSync, watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { Logger } from '../log.js';
import type { AcceptedTokens } from './accepted-tokens.js';
import { readTokenFile } from './token-store.js';

export interface TokenWatcherOptions {
  file: string;
  tokens: AcceptedTokens;
  logger: Logger;
  /** The periodic stat that backs up fs.watch, which can miss events (network file systems, some editors). */
  pollMs?: number;
}

export interface TokenWatcher {
  /** Re-reads the file now if it changed; with `force`, even if it looks the same (SIGHUP). */
  reload: (force?: boolean) => void;
  close: () => void;
}

/** What identifies a version of the file without reading it: a rename-into-place changes the inode. */
function signature(file: string): string {
  try {
    const stat = statSync(file);
    return `${stat.ino}:${stat.size}:${stat.mtimeMs}:${stat.ctimeMs}:${stat.mode}`;
  } catch (error) {
    return `missing:${(error as NodeJS.ErrnoException).code}`;
  }
}

/**
 * Keeps the accepted tokens in step with the token file, so `fleet-mcp token rotate` takes effect without a
 * restart. A file that turns bad keeps the last good token in memory (locking every client out would be worse)
 * and logs one error per change, never a token value.
 */
export function watchTokenFile(options: TokenWatcherOptions): TokenWatcher {
  const { file, tokens, logger } = options;
  let seen = signature(file);
  let lastProblem: string | undefined;

  const reload = (force = false): void => {
    const now = signature(file);
    if (!force && now === seen) return;
    seen = now;
    try {
      const record = readTokenFile(file);
      if (!record) throw new Error(`token file ${file} was removed`);
      tokens.replace(record);
      lastProblem = undefined;
      logger.info({ token_file: file, created_at: record.created_at, previous_valid_until: record.previous?.expires_at }, 'token reloaded');
    } catch (error) {
      // One edit can reach the disk as several writes (truncate, then content); each is seen, one is reported.
      const problem = (error as Error).message;
      if (problem === lastProblem) return;
      lastProblem = problem;
      logger.error({ token_file: file, reason: problem }, 'token file unusable; still accepting the last good token');
    }
  };

  const poll = setInterval(() => reload(), options.pollMs ?? 250);
  poll.unref();
  let watcher: FSWatcher | undefined;
  try {
    // The directory is watched, not the file: rotation renames a new file over the old one.
    watcher = watch(dirname(file), { persistent: false }, (_event, name) => {
      if (name === null || name === basename(file)) reload();
    });
    watcher.on('error', () => watcher?.close());
  } catch {
    watcher = undefined;
  }

  return {
    reload,
    close: () => {
      clearInterval(poll);
      watcher?.close();
    },
  };
}
