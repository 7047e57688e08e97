/** The hidden command that runs the spawn helper (spawn-helper.ts): the server starts it, nobody else. */
export const SPAWN_HELPER_COMMAND = '__spawn-helper';

/** A process to start: argv without a shell, its cwd and whole environment, and files it reads at fd 3, 4, …. */
export interface ProcessSpec {
  argv: string[];
  cwd: string;
  env: Record<string, string>;
  inputFiles: string[];
  /** Killed with SIGKILL past this. */
  timeoutMs: number;
}

/** A process left to run on its own, in a new session, its stderr appended to a file: a task's supervisor. */
export interface DetachedSpec {
  argv: string[];
  cwd: string;
  env: Record<string, string>;
  stderrFile: string;
}

/** A detached process as started: its pid, and its start time, which tells it from a later process of the pid. */
export interface DetachedProcess {
  pid: number;
  pidStart: string | null;
}

/** What the server sends the helper. */
export type HelperRequest =
  | { type: 'spawn'; id: number; spec: ProcessSpec }
  | { type: 'detach'; id: number; spec: DetachedSpec }
  | { type: 'kill'; id: number };

/** What the helper sends back, per process, in the order it happened: output, then one error or close. */
export type HelperEvent =
  | { type: 'stdout'; id: number; chunk: Buffer }
  | { type: 'stderr'; id: number; chunk: Buffer }
  | ({ type: 'detached'; id: number } & DetachedProcess)
  | { type: 'error'; id: number; message: string }
  | { type: 'close'; id: number; code: number | null; signal: NodeJS.Signals | null };
