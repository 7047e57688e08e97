/**
 * The seam between the fleet and an engine that runs an agent's task somewhere other than this host's process
 * table: Docker or Podman (Engine API), Docker Swarm (services), Kubernetes (Jobs). The agent's work leaves the
 * engine only as a git push to the server's smart HTTP endpoint (src/http/git-http.ts); the engine never sees the
 * user's repository.
 */

/** Labels every object an engine makes for a task carries, so a restarted server finds and cleans up its own. */
export const LABELS = {
  server: 'io.fleet-mcp.server',
  agent: 'io.fleet-mcp.agent',
  task: 'io.fleet-mcp.task',
} as const;

export interface TaskLabels {
  /** The server's id: stable across restarts of the same data dir, different for another fleet on the same engine. */
  server: string;
  agent: string;
  task: string;
}

export interface TaskLimits {
  /** CPUs, e.g. 1.5; null for the engine's default. */
  cpus: number | null;
  memoryBytes: number | null;
  /** Processes and threads the task may have at once. */
  pids: number | null;
}

export interface RemoteTaskSpec {
  labels: TaskLabels;
  /** The user's image, which holds the agent CLI (and sh and git, which the task script needs). */
  image: string;
  /** The command the container runs: the task script (task-script.ts) with the role's argv after it. */
  command: string[];
  /** Variables that are no secret; they may show in the engine's records. */
  env: Record<string, string>;
  /**
   * Values the task needs that must never show in an image, a log or a record (provider keys, the task's git
   * credential). Each engine hands them over its own way: Docker and Podman on the container's stdin, Swarm and
   * Kubernetes as a secret object removed with the task. Inside, the task script finds them as variables.
   */
  secrets: Record<string, string>;
  limits: TaskLimits;
  /** 'none', 'host', or a network the engine knows by that name. */
  network: string;
  /** Read-only bind mounts from the engine's host, e.g. a toolchain the image leaves out. */
  readOnlyMounts: { source: string; target: string }[];
}

export interface TaskExit {
  exitCode: number | null;
  /** The engine ended it for going over its memory limit. */
  oomKilled: boolean;
  /** Why the engine could not run it at all (image missing, say), in one line; null when it ran. */
  error: string | null;
}

/** One task on an engine, started now or found again by its labels. */
export interface TaskHandle {
  labels: TaskLabels;
  /** The engine's id of the task's object (container, service or job), for the task's log. */
  id: string;
  /**
   * Follows the task's output from its start, in order, stdout and stderr apart, until it ends or `close` is
   * called. Whoever follows again after a restart skips what it has already taken.
   */
  output(onChunk: (stream: 'stdout' | 'stderr', data: Buffer) => void): { done: Promise<void>; close(): void };
  /** Resolves once the task's process has ended. */
  exit(): Promise<TaskExit>;
  /** SIGTERM to the task's init (every process of the task), then after `graceMs` SIGKILL. */
  stop(graceMs: number): Promise<void>;
  /** Removes everything the engine holds for the task: its container, service or job, and its secrets. */
  remove(): Promise<void>;
}

/** An engine that runs tasks; one per configured backend. */
export interface AgentRuntime {
  /** 'docker', 'podman', 'swarm', 'kubernetes': named in task logs and errors. */
  readonly kind: string;
  /** Null when the engine answers; else one line naming the engine's address, the cause and the fix. */
  problem(): Promise<string | null>;
  /** Throws RuntimeError (one line, cause and fix) when the task cannot be started; leaves nothing behind then. */
  start(spec: RemoteTaskSpec): Promise<TaskHandle>;
  /** The tasks of this server still held by the engine, running or ended, found by their labels. */
  find(server: string): Promise<TaskHandle[]>;
}

/** A task the engine would not start or run: the message says why and what to fix. */
export class RuntimeError extends Error {
  override name = 'RuntimeError';
}
