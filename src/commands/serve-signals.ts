import { closeSync, constants, openSync } from 'node:fs';
import { isatty } from 'node:tty';
import type { TokenWatcher } from '../auth/token-watcher.js';
import type { Logger } from '../log.js';

export interface ServeSignalsOptions {
  logger: Logger;
  /** Reloads the fleet config and the token files on SIGHUP. */
  watcher: TokenWatcher;
  /** What the watcher reloads, for the log line ("the fleet config"). */
  reloads: string;
}

export interface ServeSignals {
  /** From now on SIGTERM, SIGINT and a terminal hang-up run `stop`, then exit 0 (1 if it failed). */
  stopWith(stop: () => Promise<void>): void;
}

/** True while this process has a controlling terminal: the kernel takes it from the whole session when it is gone. */
function hasControllingTerminal(): boolean {
  try {
    closeSync(openSync('/dev/tty', constants.O_RDONLY | constants.O_NOCTTY | constants.O_NONBLOCK));
    return true;
  } catch {
    return false;
  }
}

/**
 * A terminal can go two ways. Its window closes: the kernel hangs it up, and its files answer EIO, so isatty() turns
 * false. Or the shell that owned it exits first, say killed: the kernel sends SIGHUP to the job in the foreground
 * while the terminal still answers, but takes it away as the session's controlling terminal.
 */
function terminalHangupDetector(): () => boolean {
  const terminalFds = [0, 1, 2].filter((fd) => isatty(fd));
  // Run detached from the terminal (nohup, redirects), the server asked not to stop with it.
  if (terminalFds.length === 0) return () => false;
  const hadControllingTerminal = hasControllingTerminal();
  return () => terminalFds.some((fd) => !isatty(fd)) || (hadControllingTerminal && !hasControllingTerminal());
}

/**
 * Installed before start-up, because SIGHUP's default action ends the process and a server asked to reload must
 * never stop instead. A SIGHUP is also what a closing terminal sends: then the server stops like any program run
 * there, rather than living on headless with its log going nowhere and its data dir locked.
 */
export function handleServeSignals(options: ServeSignalsOptions): ServeSignals {
  const { logger, watcher, reloads } = options;
  const hungUp = terminalHangupDetector();
  let stop: (() => Promise<void>) | undefined;
  let stopping = false;

  const shutDown = (signal: NodeJS.Signals): void => {
    if (stopping || !stop) return;
    stopping = true;
    // stop() closes the listener before its first await: logged after, the line is true when a reader sees it.
    const stopped = stop();
    logger.info({ signal }, 'shutting down');
    void stopped.then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };

  process.on('SIGHUP', () => {
    if (hungUp()) {
      // Still starting, nothing to drain: end as SIGHUP's default action would (128 + 1).
      if (!stop) process.exit(129);
      shutDown('SIGHUP');
    } else {
      logger.info(`SIGHUP: reloading ${reloads}`);
      watcher.reload(true);
    }
  });

  return {
    stopWith: (stopServer) => {
      stop = stopServer;
      process.on('SIGTERM', shutDown);
      process.on('SIGINT', shutDown);
    },
  };
}
