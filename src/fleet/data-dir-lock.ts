import { randomUUID } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import * as z from 'zod';
import { removeAbandonedTempFiles, writeTempFile } from '../fs/atomic-file.js';
import { FleetError } from './errors.js';
import { isSameProcessAlive, processStartTime } from './tasks/process-group.js';

/** `serve` runs the HTTP server; `host` is the background fleet that `stdio` clients start when none runs. */
export type LockKind = 'serve' | 'host';

const lockOwnerSchema = z.object({
  pid: z.number().int().positive(),
  pid_start: z.string().nullable(),
  id: z.string(),
  // Locks of earlier versions name no kind: they were servers.
  kind: z.enum(['serve', 'host']).default('serve'),
});
type LockOwner = z.infer<typeof lockOwnerSchema>;

export interface DataDirLock {
  release(): void;
}

// A server restarted right after a stop may find the old one still finishing its shutdown; give it this long.
export const DEFAULT_LOCK_WAIT_MS = 5000;
const POLL_HOLDER_MS = 100;
// A takeover holds its mutex for a few milliseconds; one this old was left by a process that died holding it.
const STALE_TAKEOVER_MS = 10_000;
const POLL_TAKEOVER_MS = 20;

/** The points of a takeover where a test may hold one contender, to make a race happen in a chosen order. */
export type TakeoverStep = 'removing-stale-lock' | 'takeover-busy';

export interface LockDataDirOptions {
  /** What this process is; recorded in the lock. Default 'serve'. */
  kind?: LockKind;
  /**
   * Asks a background host holding the data dir to stop (SIGTERM), so `serve` takes the fleet over; its tasks run
   * on and this process follows them. A host never evicts anyone.
   */
  evictHost?: boolean;
  /** How long to wait for a live holder to let go. Default DEFAULT_LOCK_WAIT_MS. */
  waitMs?: number;
  /** For tests only: awaited at each step of a takeover, so a race can be driven step by step. */
  pauseAt?: (step: TakeoverStep) => Promise<void>;
}

/**
 * Claims the data dir for this server: two servers on one data dir would each take the other's running tasks
 * for orphans of a crash. A lock left by a server that died (kill -9) is taken over.
 */
export async function lockDataDir(dataDir: string, options: LockDataDirOptions = {}): Promise<DataDirLock> {
  const file = join(dataDir, 'server.lock');
  const owner: LockOwner = {
    pid: process.pid,
    pid_start: processStartTime(process.pid),
    id: randomUUID(),
    kind: options.kind ?? 'serve',
  };
  // One complete temp file, hard-linked into place on each try: a reader never sees a half-written owner.
  const temp = writeTempFile(file, JSON.stringify(owner));
  try {
    await claim(file, temp, dataDir, options);
  } finally {
    rmSync(temp, { force: true });
  }
  removeAbandonedTempFiles(file);
  return {
    release: () => {
      if (ownerKey(readOwner(file)) === owner.id) rmSync(file, { force: true });
    },
  };
}

async function claim(file: string, temp: string, dataDir: string, options: LockDataDirOptions): Promise<void> {
  const deadline = Date.now() + (options.waitMs ?? DEFAULT_LOCK_WAIT_MS);
  let evicted: string | undefined;
  while (!tryLink(temp, file)) {
    const holder = readOwner(file);
    if (holder === 'missing') continue;
    if (holder !== 'corrupt' && isAlive(holder)) {
      if (Date.now() > deadline) {
        throw new FleetError(
          'conflict',
          `The data dir ${dataDir} is in use by another fleet-mcp server (pid ${holder.pid}). Stop it, or give this one its own FLEET_MCP_DATA_DIR.`,
        );
      }
      // Once per host: a host that stdio clients started in the meantime is asked to go too.
      // Only a host known by its start time: a bare pid may by now be another process of the user.
      if (options.evictHost && holder.kind === 'host' && holder.pid_start !== null && holder.id !== evicted) {
        evict(holder);
        evicted = holder.id;
      }
      await sleep(POLL_HOLDER_MS);
    } else if (!(await removeStaleLock(file, holder, options))) {
      await sleep(POLL_TAKEOVER_MS);
    }
  }
}

/** Links `temp` to `file` unless `file` exists; a hard link is atomic and never replaces. */
function tryLink(temp: string, file: string): boolean {
  try {
    linkSync(temp, file);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
}

/**
 * Removes the lock of a dead holder under a takeover mutex (an exclusive mkdir). Without it, two servers that
 * found the same dead holder could both remove "its" lock, the slower one removing the lock the faster one had
 * just created, and both would run. Returns false when another takeover is under way.
 */
async function removeStaleLock(
  file: string,
  stale: LockOwner | 'corrupt',
  options: LockDataDirOptions,
): Promise<boolean> {
  const mutex = `${file}.takeover`;
  try {
    mkdirSync(mutex, { mode: 0o700 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    await options.pauseAt?.('takeover-busy');
    removeIfOlderThan(mutex, STALE_TAKEOVER_MS);
    return false;
  }
  try {
    if (ownerKey(readOwner(file)) === ownerKey(stale)) {
      await options.pauseAt?.('removing-stale-lock');
      rmSync(file, { force: true });
    }
  } finally {
    rmSync(mutex, { recursive: true, force: true });
  }
  return true;
}

function removeIfOlderThan(dir: string, ageMs: number): void {
  try {
    if (Date.now() - statSync(dir).mtimeMs > ageMs) rmSync(dir, { recursive: true, force: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}

/** What tells two reads of the lock apart: the holder's id, or how the file could not be read. */
function ownerKey(owner: LockOwner | 'missing' | 'corrupt'): string {
  return typeof owner === 'object' ? owner.id : owner;
}

function readOwner(file: string): LockOwner | 'missing' | 'corrupt' {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'missing';
    throw error;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return 'corrupt';
  }
  const owner = lockOwnerSchema.safeParse(json);
  return owner.success ? owner.data : 'corrupt';
}

function evict(host: LockOwner): void {
  try {
    process.kill(host.pid, 'SIGTERM');
  } catch {
    // Gone already, or not ours to signal: the wait for the lock settles it either way.
  }
}

function isAlive(owner: LockOwner): boolean {
  if (owner.pid_start !== null) return isSameProcessAlive(owner.pid, owner.pid_start);
  try {
    process.kill(owner.pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
