import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { assertTrustedDirectory } from '../fs/ownership.js';
import { StateFileWriter } from '../fs/state-file-writer.js';
import { FORMAT_VERSION, parseRecordFile } from './record-file.js';
import { TaskTexts } from './tasks/task-texts.js';
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
   * it tells a restarted server whether that pid is still ours or was reused. No pid: a task on an engine, which
   * the server follows itself.
   */
  process: { task_id: string; pid: number | null; pid_start: string | null } | null;
  /** The project's worktree setup has not succeeded yet in this agent's worktree: it runs before its next task. */
  setup_pending: boolean;
  /** A task of the agent ran sandboxed: git reads its repository only in a sandbox from then on, or not at all. */
  ran_sandboxed: boolean;
}

/** The order agents are listed in, and a list_agents cursor read in. One collator: localeCompare makes one a call. */
export const BY_NAME = new Intl.Collator();

/**
 * Fleet state kept in memory and written through to one small file per agent, so a request never reads the disk
 * and a state change rewrites only the agent it touched. The writes run off the event loop, in order per agent
 * (StateFileWriter); `saved` and `flush` say when they have landed. Layout under the data dir:
 * `agents/<key>.json`, `tasks/<key>/<task id>.txt` (task texts, see TaskTexts), `logs/<key>/<task id>.jsonl`,
 * `worktrees/<name>/`.
 */
export class Store {
  private readonly records = new Map<string, AgentRecord>();
  private sorted: AgentRecord[] | null = null;
  private readonly texts: TaskTexts;
  private readonly writer: StateFileWriter;

  private constructor(
    readonly dataDir: string,
    logger: FleetLogger,
  ) {
    this.texts = new TaskTexts(dataDir);
    // The record stays in memory and its next save writes it whole: a failed write is reported, not fatal.
    this.writer = new StateFileWriter((file, error) =>
      logger.error({ file, err: error }, 'could not write an agent state file'),
    );
  }

  /**
   * Loads the state left by a previous run. The data dir must be safe from other users; a state file that cannot
   * be read or is not valid is reported once and left alone, never acted on.
   */
  static open(dataDir: string, logger: FleetLogger): Store {
    const store = new Store(dataDir, logger);
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    assertTrustedDirectory(dataDir, 'data dir');
    for (const dir of [store.agentsDir(), join(dataDir, 'tasks'), join(dataDir, 'logs'), join(dataDir, 'worktrees')]) {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
    }
    for (const entry of readdirSync(store.agentsDir(), { withFileTypes: true })) {
      if (!entry.isFile()) continue;
      const file = join(store.agentsDir(), entry.name);
      if (entry.name.endsWith('.tmp')) {
        // Left by a crash between writing and renaming: the previous complete file is still in place.
        rmSync(file, { force: true });
        continue;
      }
      if (!entry.name.endsWith('.json')) continue;
      const key = entry.name.slice(0, -'.json'.length);
      const loaded = readRecord(file, key, dataDir);
      if ('record' in loaded) {
        const { record } = loaded;
        store.records.set(key, { ...record, tasks: record.tasks.map((task) => store.texts.fromStored(key, task)) });
      } else logger.warn({ file, reason: loaded.problem }, 'ignoring an agent state file, left as it is');
    }
    return store;
  }

  all(): AgentRecord[] {
    return [...this.records.values()];
  }

  /** Every record by agent name, the listing's order: sorted again only once an agent has come or gone. */
  byName(): readonly AgentRecord[] {
    this.sorted ??= [...this.records.values()].sort((a, b) => BY_NAME.compare(a.agent.name, b.agent.name));
    return this.sorted;
  }

  get(key: string): AgentRecord | undefined {
    return this.records.get(key);
  }

  /** Adds or replaces the record under `key` and persists it. */
  put(key: string, record: AgentRecord): void {
    if (this.records.get(key) !== record) this.sorted = null;
    this.records.set(key, record);
    this.save(key);
  }

  /**
   * Persists the record after its objects were changed in place: serialized now, written in the background. The
   * promise resolves once it has landed; callers that act on the disk's state (or answer that it is kept) await it.
   */
  save(key: string): Promise<void> {
    const record = this.records.get(key);
    if (!record) return this.saved(key);
    const stored = record.tasks.map((task) => this.texts.toStored(key, task));
    const tasks = stored.map(({ task }) => task);
    const texts = stored.flatMap(({ text }) => (text ? [text] : []));
    return this.writer.write(this.agentFile(key), JSON.stringify({ version: FORMAT_VERSION, ...record, tasks }), texts);
  }

  /** Resolves once every save and removal of the agent asked for so far has landed. */
  saved(key: string): Promise<void> {
    return this.writer.settled(this.agentFile(key));
  }

  /** Resolves once every save asked for so far, of every agent, has landed: before the data dir is let go. */
  flush(): Promise<void> {
    return this.writer.flush();
  }

  /** Forgets the agent and deletes its logs now, its state and task texts after its pending saves. */
  remove(key: string): Promise<void> {
    this.records.delete(key);
    this.sorted = null;
    this.texts.forget(key);
    rmSync(this.logDir(key), { recursive: true, force: true });
    return this.writer.remove(this.agentFile(key), [this.texts.dir(key)]);
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

function readRecord(file: string, key: string, dataDir: string): { record: AgentRecord } | { problem: string } {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    return { problem: `it cannot be read as JSON: ${(error as Error).message}` };
  }
  return parseRecordFile(json, key, dataDir);
}
