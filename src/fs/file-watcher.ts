import { statSync, watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';

export interface FileWatcherOptions {
  file: string;
  /** Called when the file looks different from the last call (or on a forced check). */
  onChange: () => void;
  /** The periodic stat that backs up fs.watch, which can miss events (network file systems, some editors). */
  pollMs?: number;
}

export interface FileWatcher {
  /** Calls onChange now if the file changed; with `force`, even if it looks the same (SIGHUP). */
  check: (force?: boolean) => void;
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

/** Follows a file that is replaced by rename: its directory is watched, and a stat every `pollMs` backs that up. */
export function watchFile(options: FileWatcherOptions): FileWatcher {
  const { file } = options;
  let seen = signature(file);

  const check = (force = false): void => {
    const now = signature(file);
    if (!force && now === seen) return;
    seen = now;
    options.onChange();
  };

  const poll = setInterval(() => check(), options.pollMs ?? 250);
  poll.unref();
  let watcher: FSWatcher | undefined;
  try {
    watcher = watch(dirname(file), { persistent: false }, (_event, name) => {
      if (name === null || name === basename(file)) check();
    });
    watcher.on('error', () => watcher?.close());
  } catch {
    watcher = undefined;
  }

  return {
    check,
    close: () => {
      clearInterval(poll);
      watcher?.close();
    },
  };
}
