import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FileContent } from '../../fs/state-file-writer.js';
import type { TaskRecord } from '../types.js';

/** Characters of a task's text kept in the agent's state file; the full text is in its own file. */
export const TASK_PREVIEW_CHARS = 200;

/** A task as written in the agent's state file: its text cut to a preview, with the file that holds all of it. */
export type StoredTask = TaskRecord & { description_file: string };

/**
 * The full texts of tasks, one file each under `tasks/<agent key>/<task id>.txt`, written once when the task is
 * first saved (by the store, before the state file that names it). A task text is up to 100k characters and never changes, so keeping it out of the agent's state
 * file keeps that file small however many tasks the agent ran, and each status change rewrites only metadata.
 */
export class TaskTexts {
  private readonly written = new Set<string>();

  constructor(private readonly dataDir: string) {}

  /** The task as the state file holds it, and its full text's file the first time, for the caller to write. */
  toStored(key: string, task: TaskRecord): { task: StoredTask; text: FileContent | null } {
    const file = this.relativeFile(key, task.id);
    const text = this.written.has(file) ? null : { file: join(this.dataDir, file), content: task.description };
    this.written.add(file);
    return { task: { ...task, description: preview(task.description), description_file: file }, text };
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

  /** The folder of the agent's task texts, for the caller to delete. */
  dir(key: string): string {
    return join(this.dataDir, 'tasks', key);
  }

  /** Forgets that the agent's texts were written: an agent made again under the name writes its own. */
  forget(key: string): void {
    for (const file of this.written) if (file.startsWith(`tasks/${key}/`)) this.written.delete(file);
  }

  private relativeFile(key: string, taskId: string): string {
    return `tasks/${key}/${taskId}.txt`;
  }
}

function preview(text: string): string {
  return text.length <= TASK_PREVIEW_CHARS ? text : `${text.slice(0, TASK_PREVIEW_CHARS)}…`;
}
