import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomicSync } from '../fs/atomic-file.js';
import type { Agent, TaskRecord } from './types.js';
import type { FleetLogger } from './logger.js';

/** Everything known about one agent; tasks oldest first. */
export interface AgentRecord {
  agent: Agent;
  tasks: TaskRecord[];
  /** The repository and worktree of an agent on a git project, null for a plain directory. */
  git: { repo_root: string; worktree: string } | null;
  /**
   * The process of the running task: its pid is also its process group id, and its start time as the OS reports
   * it tells a restarted server whether that pid is still ours or was reused.
   */
  process: { task_id: string; pid: number; pid_start: string | null } | null;
}

const FORMAT_VERSION = 1;

/**
 * Fleet state kept in memory and written through to one small file per agent, so a request never reads the disk
 * and a state change rewrites only the agent it touched. Layout under the data dir:
 * `agents/<key>.json`, `logs/<key>/<task id>.jsonl`, `worktrees/<name>/`.
 */
export class Store {
  private readonly records = new Map<string, AgentRecord>();

  private constructor(readonly dataDir: string) {}

  /** Loads the state left by a previous run; a file that cannot be read is reported and left alone. */
  static open(dataDir: string, logger: FleetLogger): Store {
    const store = new Store(dataDir);
    for (const dir of [dataDir, store.agentsDir(), join(dataDir, 'logs'), join(dataDir, 'worktrees')]) {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
    }
    for (const entry of readdirSync(store.agentsDir())) {
      const file = join(store.agentsDir(), entry);
      if (entry.endsWith('.tmp')) {
        // Left by a crash between writing and renaming: the previous complete file is still in place.
        rmSync(file, { force: true });
        continue;
      }
      if (!entry.endsWith('.json')) continue;
      const record = readRecord(file);
      if (record) store.records.set(entry.slice(0, -'.json'.length), record);
      else logger.warn({ file }, 'ignoring an unreadable agent state file');
    }
    return store;
  }

  all(): AgentRecord[] {
    return [...this.records.values()];
  }

  get(key: string): AgentRecord | undefined {
    return this.records.get(key);
  }

  /** Adds or replaces the record under `key` and persists it. */
  put(key: string, record: AgentRecord): void {
    this.records.set(key, record);
    this.save(key);
  }

  /** Persists the record after its objects were changed in place. */
  save(key: string): void {
    const record = this.records.get(key);
    if (!record) return;
    writeFileAtomicSync(this.agentFile(key), JSON.stringify({ version: FORMAT_VERSION, ...record }));
  }

  /** Forgets the agent and deletes its state and logs. */
  remove(key: string): void {
    this.records.delete(key);
    rmSync(this.agentFile(key), { force: true });
    rmSync(this.logDir(key), { recursive: true, force: true });
  }

  logDir(key: string): string {
    return join(this.dataDir, 'logs', key);
  }

  logFile(key: string, taskId: string): string {
    return join(this.logDir(key), `${taskId}.jsonl`);
  }

  worktreePath(name: string): string {
    return join(this.dataDir, 'worktrees', name);
  }

  private agentsDir(): string {
    return join(this.dataDir, 'agents');
  }

  private agentFile(key: string): string {
    return join(this.agentsDir(), `${key}.json`);
  }
}

function readRecord(file: string): AgentRecord | null {
  try {
    const data = JSON.parse(readFileSync(file, 'utf8')) as Partial<AgentRecord> & { version?: number };
    if (data.version !== FORMAT_VERSION || !data.agent || !Array.isArray(data.tasks)) return null;
    return { agent: data.agent, tasks: data.tasks, git: data.git ?? null, process: data.process ?? null };
  } catch {
    return null;
  }
}
