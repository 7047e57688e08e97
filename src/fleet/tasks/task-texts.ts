import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomicSync } from '../../fs/atomic-file.js';
import type { TaskRecord } from '../types.js';

/** Characters of a task's text kept in the agent's state file; the full text is in its own file. */
export const TASK_PREVIEW_CHARS = 200;

/** A task as written in the agent's state file: its text cut to a preview, with the file that holds all of it. */
export type StoredTask = TaskRecord & { description_file: string };

/**
 * The full texts of tasks, one file each under `tasks/<agent key>/<task id>.txt`, written once when the task is
 * first saved. A task text is up to 100k characters and never changes, so keeping it out of the agent's state
 * file keeps that file small however many tasks the agent ran, and each status change rewrites only metadata.
 */
export class TaskTexts {
  private readonly written = new Set<string>();

  constructor(private readonly dataDir: string) {}

  /** The task as the state file holds it; its full text goes to its own file the first time. */
  toStored(key: string, task: TaskRecord): StoredTask {
    const file = this.relativeFile(key, task.id);
    if (!this.written.has(file)) {
      mkdirSync(join(this.dataDir, 'tasks', key), { recursive: true, mode: 0o700 });
      writeFileAtomicSync(join(this.dataDir, file), task.description);
      this.written.add(file);
    }
    return { ...task, description: preview(task.description), description_file: file };
  }

  /**
   * The task as read from a state file, with its full text back. A record written before texts had their own file
   * holds the full text itself; one whose text file is gone keeps its preview.
   */
  fromStored(key: string, stored: TaskRecord & { description_file?: unknown }): TaskRecord {
    const { description_file: reference, ...task } = stored;
    if (reference === undefined) return task;
    const file = this.relativeFile(key, task.id);
    const path = join(this.dataDir, file);
    if (!existsSync(path)) return task;
    this.written.add(file);
    return { ...task, description: readFileSync(path, 'utf8') };
  }

  /** Deletes the texts of every task of the agent. */
  remove(key: string): void {
    rmSync(join(this.dataDir, 'tasks', key), { recursive: true, force: true });
    for (const file of this.written) if (file.startsWith(`tasks/${key}/`)) this.written.delete(file);
  }

  private relativeFile(key: string, taskId: string): string {
    return `tasks/${key}/${taskId}.txt`;
  }
}

function preview(text: string): string {
  return text.length <= TASK_PREVIEW_CHARS ? text : `${text.slice(0, TASK_PREVIEW_CHARS)}…`;
}
