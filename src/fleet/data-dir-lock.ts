import { randomUUID } from 'node:crypto';
import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { FleetError } from './errors.js';
import { processStartTime } from './process-group.js';

interface LockOwner {
  pid: number;
  pid_start: string | null;
  id: string;
}

export interface DataDirLock {
  release(): void;
}

// A server restarted right after a stop may find the old one still finishing its shutdown; give it this long.
const WAIT_FOR_HOLDER_MS = 5000;

/**
 * Claims the data dir for this server: two servers on one data dir would each take the other's running tasks
 * for orphans of a crash. A lock left by a server that died (kill -9) is taken over.
 */
export async function lockDataDir(dataDir: string): Promise<DataDirLock> {
  const file = join(dataDir, 'server.lock');
  const owner: LockOwner = { pid: process.pid, pid_start: processStartTime(process.pid), id: randomUUID() };
  const deadline = Date.now() + WAIT_FOR_HOLDER_MS;
  while (!tryCreate(file, owner)) {
    const holder = readOwner(file);
    if (!holder || !isAlive(holder)) {
      rmSync(file, { force: true });
    } else if (Date.now() > deadline) {
      throw new FleetError(
        'conflict',
        `The data dir ${dataDir} is in use by another fleet-mcp server (pid ${holder.pid}). Stop it, or give this one its own FLEET_MCP_DATA_DIR.`,
      );
    } else {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  return {
    release: () => {
      if (readOwner(file)?.id === owner.id) rmSync(file, { force: true });
    },
  };
}

function tryCreate(file: string, owner: LockOwner): boolean {
  let fd: number;
  try {
    fd = openSync(file, 'wx', 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
  try {
    writeSync(fd, JSON.stringify(owner));
  } finally {
    closeSync(fd);
  }
  return true;
}

function readOwner(file: string): LockOwner | null {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as LockOwner;
  } catch {
    return null;
  }
}

function isAlive(owner: LockOwner): boolean {
  if (owner.pid_start !== null) return processStartTime(owner.pid) === owner.pid_start;
  try {
    process.kill(owner.pid, 0);
    return true;
  } catch {
    return false;
  }
}
