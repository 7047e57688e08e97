import type { Logger } from '../log.js';
import { watchFile } from '../fs/file-watcher.js';
import type { AcceptedTokens } from './accepted-tokens.js';
import { readNamedTokens } from './named-token-store.js';
import type { TokenRegistry } from './token-registry.js';
import { readTokenFile } from './token-store.js';

export interface TokenWatcher {
  /** Re-reads the file now if it changed; with `force`, even if it looks the same (SIGHUP). */
  reload: (force?: boolean) => void;
  close: () => void;
}

interface ReloadingWatchOptions {
  file: string;
  logger: Logger;
  pollMs?: number;
  /** Reads the file and puts what it holds in force; throws when the file is unusable. */
  apply: () => void;
  /** What the file is, for log lines ("token file", "named tokens file"). */
  what: string;
  onApplied?: () => void;
}

/**
 * Keeps what the server accepts in step with a file, so `fleet-mcp token rotate|create|revoke` takes effect
 * without a restart. A file that turns bad keeps the last good state in memory (locking every client out would be
 * worse) and logs one error per change, never a token value.
 */
function watchReloading(options: ReloadingWatchOptions): TokenWatcher {
  const { file, logger, what } = options;
  let lastProblem: string | undefined;
  const watcher = watchFile({
    file,
    pollMs: options.pollMs,
    onChange: () => {
      try {
        options.apply();
      } catch (error) {
        // One edit can reach the disk as several writes (truncate, then content); each is seen, one is reported.
        const problem = (error as Error).message;
        if (problem === lastProblem) return;
        lastProblem = problem;
        logger.error({ file, reason: problem }, `${what} unusable; still accepting the tokens it last held`);
        return;
      }
      lastProblem = undefined;
      options.onApplied?.();
    },
  });
  return { reload: watcher.check, close: watcher.close };
}

export interface TokenWatcherOptions {
  file: string;
  tokens: AcceptedTokens;
  logger: Logger;
  pollMs?: number;
  /** Told once what the file now holds is in force, so what the old content allowed can be looked at again. */
  onApplied?: () => void;
}

export function watchTokenFile(options: TokenWatcherOptions): TokenWatcher {
  const { file, tokens, logger } = options;
  return watchReloading({
    file,
    logger,
    pollMs: options.pollMs,
    onApplied: options.onApplied,
    what: 'token file',
    apply: () => {
      const record = readTokenFile(file);
      if (!record) throw new Error(`token file ${file} was removed`);
      tokens.replace(record);
      logger.info(
        { token_file: file, created_at: record.created_at, previous_valid_until: record.previous?.expires_at },
        'token reloaded',
      );
    },
  });
}

export interface NamedTokensWatcherOptions {
  file: string;
  registry: TokenRegistry;
  logger: Logger;
  pollMs?: number;
  /** Told once what the file now holds is in force, so what the old content allowed can be looked at again. */
  onApplied?: () => void;
}

/** A removed named tokens file means no named tokens: that is how a user drops them all. */
export function watchNamedTokens(options: NamedTokensWatcherOptions): TokenWatcher {
  const { file, registry, logger } = options;
  return watchReloading({
    file,
    logger,
    pollMs: options.pollMs,
    onApplied: options.onApplied,
    what: 'named tokens file',
    apply: () => {
      const records = readNamedTokens(file);
      registry.replaceNamed(records);
      logger.info({ tokens_file: file, tokens: records.map((record) => record.name) }, 'named tokens reloaded');
    },
  });
}
