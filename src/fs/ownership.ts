import { lstatSync, readlinkSync, statSync, type Stats } from 'node:fs';
import { dirname } from 'node:path';
import { ConfigError } from '../config-error.js';

/**
 * Checks, like OpenSSH's StrictModes, that a file or directory the server trusts (the token, the data dir, the
 * fleet config, the env file) can be changed by nobody but the user the server runs as and root.
 */

/** A path other users could change; the message names it, what is wrong and the command that fixes it. */
export class UnsafePathError extends ConfigError {
  override name = 'UnsafePathError';
}

const GROUP_OTHER_WRITE = 0o022;
const STICKY = 0o1000;

export const modeText = (mode: number): string => (mode & 0o7777).toString(8).padStart(4, '0');

/** A path as it can be pasted into a shell. */
export function shellWord(path: string): string {
  return /^[\w@%+=:,./-]+$/.test(path) ? path : `'${path.replaceAll("'", `'\\''`)}'`;
}

/** The server's uid; undefined where there are no uids (Windows), and then nothing is checked. */
const currentUid = (): number | undefined => process.getuid?.();

/** Root can change anything anyway; anyone else who owns the path could change what the server trusts. */
export function isTrustedOwner(uid: number): boolean {
  return uid === 0 || uid === currentUid();
}

function assertOwner(path: string, stats: Stats, label: string): void {
  const me = currentUid();
  if (me === undefined || isTrustedOwner(stats.uid)) return;
  throw new UnsafePathError(
    `${label} is owned by uid ${stats.uid}, not by you (uid ${me}) or root, so that user could change it; ` +
      `fix it with: chown ${me} ${shellWord(path)} (as root), or move it to a place you own`,
  );
}

export interface TrustedFileOptions {
  /** What the file is, for messages: "fleet config". */
  what: string;
  /** Mode bits the file must not have; by default group/other write. */
  forbiddenMode?: number;
  /** The chmod argument that clears them; by default `go-w`. */
  chmodFix?: string;
  /** The chmod argument that makes the directory holding the file safe; by default `go-w`. */
  parentChmodFix?: string;
}

/** Throws UnsafePathError unless the existing `file` and the directory holding it are safe from other users. */
export function assertTrustedFile(file: string, options: TrustedFileOptions): void {
  const stats = statSync(file);
  const label = `${options.what} ${file}`;
  assertOwner(file, stats, label);
  const forbidden = options.forbiddenMode ?? GROUP_OTHER_WRITE;
  if (stats.mode & forbidden) {
    const how = forbidden & ~GROUP_OTHER_WRITE ? 'open to' : 'writable by';
    throw new UnsafePathError(
      `${label} is ${how} other users (mode ${modeText(stats.mode)}); fix it with: chmod ${options.chmodFix ?? 'go-w'} ${shellWord(file)}`,
    );
  }
  assertTrustedParent(dirname(file), { what: options.what, chmodFix: options.parentChmodFix });
}

export interface TrustedParentOptions {
  /** What the directory holds, for messages: "token file". */
  what: string;
  /** The chmod argument that makes the directory safe; by default `go-w`. */
  chmodFix?: string;
}

/**
 * The directory holding a trusted file: whoever may write it may replace the file. A shared directory with the
 * sticky bit (such as /tmp, mode 1777) is safe when root or the user owns it, since others cannot rename or remove
 * our file there; `chmod` is never the advice for one, as it would break everyone else's use of it.
 */
export function assertTrustedParent(dir: string, options: TrustedParentOptions): void {
  const stats = statSync(dir);
  const label = `directory ${dir} of the ${options.what}`;
  const shared = (stats.mode & STICKY) !== 0 && (stats.mode & GROUP_OTHER_WRITE) !== 0;
  if (shared && !isTrustedOwner(stats.uid)) {
    throw new UnsafePathError(
      `${label} is a shared directory (mode ${modeText(stats.mode)}) owned by uid ${stats.uid}, who could replace the ${options.what}; ` +
        `move the ${options.what} to a directory you own`,
    );
  }
  assertOwner(dir, stats, label);
  if (shared || !(stats.mode & GROUP_OTHER_WRITE)) return;
  throw new UnsafePathError(
    `${label} is writable by other users (mode ${modeText(stats.mode)}); fix it with: chmod ${options.chmodFix ?? 'go-w'} ${shellWord(dir)}`,
  );
}

/**
 * A directory the server keeps state in and acts on (the data dir): only the user and root may write it, sticky or
 * not, since others could plant entries in it; and the directory holding it must not let others replace it.
 */
export function assertTrustedDirectory(dir: string, what: string): void {
  const stats = statSync(dir);
  const label = `${what} ${dir}`;
  assertOwner(dir, stats, label);
  if (stats.mode & GROUP_OTHER_WRITE) {
    throw new UnsafePathError(
      `${label} is writable by other users (mode ${modeText(stats.mode)}); fix it with: chmod 700 ${shellWord(dir)}`,
    );
  }
  assertTrustedParent(dirname(dir), { what });
}

/** Where a symbolic link at `path` points when its target does not exist; undefined when `path` is no such link. */
export function danglingLinkTarget(path: string): string | undefined {
  try {
    if (!lstatSync(path).isSymbolicLink()) return undefined;
    statSync(path);
    return undefined;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') return undefined;
    try {
      return readlinkSync(path);
    } catch {
      return undefined;
    }
  }
}
