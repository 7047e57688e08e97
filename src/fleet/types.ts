/** The 11 agent statuses of the product contract; the local backend uses a subset (see fleet.ts). */
export const AGENT_STATUSES = [
  'pending',
  'starting',
  'idle',
  'busy',
  'stopping',
  'stopped',
  'failed',
  'canceling',
  'canceled',
  'deleting',
  'deleted',
] as const;
export type AgentStatus = (typeof AGENT_STATUSES)[number];

const TASK_STATUSES = ['running', 'completed', 'failed', 'canceled'] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

/** How an agent runs a task: the argv template gets `{task}` replaced inside its elements, never through a shell. */
export interface Role {
  name: string;
  command: string[];
  description: string;
  /** Set in the config; the fleet picks the effective default per project (see listRoles). */
  default: boolean;
  env: Record<string, string>;
  /** The configured text ("2h"), shown to callers; null means no limit. */
  timeout: string | null;
  timeout_ms: number | null;
  /** Project names this role is offered for; null means every project. */
  projects: string[] | null;
  source: 'builtin' | 'config';
}

export interface Agent {
  name: string;
  project: string;
  role: string;
  status: AgentStatus;
  /** Why the agent is in its status, when that is not obvious (e.g. the git error behind `failed`). */
  status_reason: string | null;
  /** Where tasks run: the agent's git worktree, or the project directory when the project is not a git repository. */
  workdir: string;
  /** `fleet/<name>` in a git project, null otherwise. */
  branch: string | null;
  current_task_id: string | null;
  created_at: string;
  updated_at: string;
}

export interface TaskRecord {
  id: string;
  agent: string;
  description: string;
  status: TaskStatus;
  exit_code: number | null;
  /** Why it failed or was canceled ("exit code 2", "timed out after 2h", "server restarted"). */
  reason: string | null;
  started_at: string;
  ended_at: string | null;
  /** Number of log lines kept for this task; the log index that lets pages be found without reading every file. */
  log_lines: number;
}

export type LogStream = 'stdout' | 'stderr' | 'system';

export interface LogLine {
  time: string;
  stream: LogStream;
  text: string;
  task_id: string;
}

export interface Page<T> {
  items: T[];
  page: number;
  page_size: number;
  total_count: number;
  has_next_page: boolean;
  has_previous_page: boolean;
}
