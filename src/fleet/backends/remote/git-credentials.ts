import { createHmac, hash, randomBytes, timingSafeEqual } from 'node:crypto';
import { linkSync, readFileSync, rmSync } from 'node:fs';
import { fsyncDirectory, writeTempFile } from '../../../fs/atomic-file.js';
import { dirname } from 'node:path';

export interface TaskCredential {
  agent: string;
  task: string;
}

const KEY_BYTES = 32;

/**
 * The git credentials of remote tasks: each task's is HMAC-SHA256(server key, agent, task), 256 bits. Derived, not
 * stored: a server restarted while a task runs issues the same credential again when it reattaches the task, so the
 * task (whose credential reached it once, at its start) can still push its work; no record or log ever holds one.
 * A credential is accepted only while its task is live in this process: issued and not revoked. A task that ended
 * while the server was down is never issued again, so its credential stays dead.
 */
export class GitCredentials {
  private readonly live = new Map<string, Set<string>>();

  constructor(private readonly key: Buffer) {
    if (key.length < KEY_BYTES)
      throw new Error(`the git credential key has ${key.length} bytes; it needs ${KEY_BYTES}`);
  }

  /** The task's credential, accepted from now until the task is revoked. Issuing again gives the same one. */
  issue(credential: TaskCredential): string {
    const tasks = this.live.get(credential.agent) ?? new Set<string>();
    tasks.add(credential.task);
    this.live.set(credential.agent, tasks);
    return this.derive(credential);
  }

  revoke(task: string): void {
    for (const [agent, tasks] of this.live) {
      tasks.delete(task);
      if (tasks.size === 0) this.live.delete(agent);
    }
  }

  revokeAgent(agent: string): void {
    this.live.delete(agent);
  }

  /**
   * The live task of `agent` whose credential was presented, or null. Compared as SHA-256 digests with
   * timingSafeEqual, against every live task of the agent, so the time taken says nothing about any credential.
   */
  check(agent: string, presented: string): string | null {
    const digest = hash('sha256', presented, 'buffer');
    let found: string | null = null;
    for (const task of this.live.get(agent) ?? []) {
      if (timingSafeEqual(digest, hash('sha256', this.derive({ agent, task }), 'buffer'))) found = task;
    }
    return found;
  }

  private derive(credential: TaskCredential): string {
    // NUL cannot occur in an agent name or task id, so no two pairs give the same input.
    return createHmac('sha256', this.key)
      .update(`fleet-mcp git credential\0${credential.agent}\0${credential.task}`)
      .digest('base64url');
  }
}

/**
 * The server's git credential key in `file` (e.g. `<data dir>/git-credential.key`, mode 0600), made now when
 * missing. Removing the file (and restarting) invalidates the credentials of every task still running.
 */
export function loadGitCredentialKey(file: string): Buffer {
  const existing = readKey(file);
  if (existing) return existing;
  const temp = writeTempFile(file, randomBytes(KEY_BYTES));
  try {
    // link, not rename: two servers starting at once on one data dir agree on the first key written.
    linkSync(temp, file);
    fsyncDirectory(dirname(file));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    rmSync(temp, { force: true });
  }
  const key = readKey(file);
  if (!key)
    throw new Error(`${file} holds no ${KEY_BYTES}-byte git credential key; remove it so the server makes a new one`);
  return key;
}

function readKey(file: string): Buffer | null {
  let key: Buffer;
  try {
    key = readFileSync(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  if (key.length !== KEY_BYTES)
    throw new Error(
      `${file} holds ${key.length} bytes, not a ${KEY_BYTES}-byte git credential key; remove it so the server makes a new one`,
    );
  return key;
}
