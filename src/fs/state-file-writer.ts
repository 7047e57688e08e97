import { mkdir, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { writeFileAtomic } from './atomic-file.js';

/** A file written, atomically, before the one it goes with (e.g. a text the state file names). */
export interface FileContent {
  file: string;
  content: string;
}

type Job = { kind: 'write'; content: string; before: FileContent[] } | { kind: 'remove'; alsoRemove: string[] };

interface Queued {
  job: Job;
  done: Promise<void>;
  resolve: () => void;
}

interface FileQueue {
  jobs: Queued[];
  /** Resolves once every job queued so far has landed. */
  idle: Promise<void>;
}

/**
 * Writes state files off the event loop, each atomically and fsynced (writeFileAtomic), one job per file at a time
 * and in the order they were asked for, so two saves of one file never land out of order. A write still waiting
 * behind another is replaced by a newer one: only the newest content is worth the disk's time. A job that fails is
 * reported to `onError` and the next one still runs; the promises never reject.
 */
export class StateFileWriter {
  private readonly queues = new Map<string, FileQueue>();

  constructor(private readonly onError: (file: string, error: Error) => void) {}

  /** Queues `content` for `file`, after writing each of `before` (made with its directory when missing). */
  write(file: string, content: string, before: FileContent[] = []): Promise<void> {
    const queue = this.queues.get(file);
    const last = queue?.jobs.at(-1);
    if (last?.job.kind === 'write') {
      last.job = { kind: 'write', content, before: [...last.job.before, ...before] };
      return last.done;
    }
    return this.enqueue(file, { kind: 'write', content, before });
  }

  /** Queues the removal of `file` and of `alsoRemove` (files or folders), after the file's earlier writes. */
  remove(file: string, alsoRemove: string[] = []): Promise<void> {
    return this.enqueue(file, { kind: 'remove', alsoRemove });
  }

  /** Resolves once everything queued for `file` so far has landed (or failed and been reported). */
  settled(file: string): Promise<void> {
    return this.queues.get(file)?.idle ?? Promise.resolve();
  }

  /** Resolves once everything queued so far, for every file, has landed. */
  async flush(): Promise<void> {
    while (this.queues.size > 0) await Promise.all([...this.queues.values()].map((queue) => queue.idle));
  }

  private enqueue(file: string, job: Job): Promise<void> {
    let resolve!: () => void;
    const done = new Promise<void>((settle) => {
      resolve = settle;
    });
    const queued = { job, done, resolve };
    const queue = this.queues.get(file);
    if (queue) {
      queue.jobs.push(queued);
      queue.idle = done;
    } else {
      const fresh: FileQueue = { jobs: [queued], idle: done };
      this.queues.set(file, fresh);
      void this.drain(file, fresh);
    }
    return done;
  }

  private async drain(file: string, queue: FileQueue): Promise<void> {
    for (let next = queue.jobs[0]; next; next = queue.jobs[0]) {
      // Taken off the queue before it runs: from here on a newer write queues after it instead of replacing it.
      queue.jobs.shift();
      try {
        await run(file, next.job);
      } catch (error) {
        this.onError(file, error as Error);
      }
      next.resolve();
    }
    this.queues.delete(file);
  }
}

async function run(file: string, job: Job): Promise<void> {
  if (job.kind === 'remove') {
    await rm(file, { force: true });
    for (const path of job.alsoRemove) await rm(path, { recursive: true, force: true });
    return;
  }
  for (const { file: other, content } of job.before) {
    await mkdir(dirname(other), { recursive: true, mode: 0o700 });
    await writeFileAtomic(other, content);
  }
  await writeFileAtomic(file, job.content);
}
