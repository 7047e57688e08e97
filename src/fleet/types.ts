import type { LimitsConfig } from './backends/backends-config.js';
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

import type { OutputFormat } from './tasks/output/index.js';
import type { Budget } from './usage/budget.js';
import type { TaskUsage } from './usage/task-usage.js';

export const TASK_STATUSES = ['queued', 'running', 'completed', 'failed', 'canceled'] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

/**
 * What became of a task, finer than its status (see task-outcome.ts): `succeeded` and `needs_review` are
 * `completed`, `canceled` is `canceled`, every other one is `failed`.
 */
export const TASK_OUTCOMES = [
  'succeeded',
  'needs_review',
  'provider_error',
  'provider_stalled',
  'agent_error',
  'write_refused',
  'tool_failed',
  'over_budget',
  'timed_out',
  'no_output',
  'exit_error',
  'not_started',
  'lost',
  'canceled',
] as const;
export type TaskOutcome = (typeof TASK_OUTCOMES)[number];

/**
 * How an agent runs a task: the argv template gets `{task}`, `{workdir}`, `{git_dir}` and `{git_common_dir}`
 * replaced inside its elements, never through a shell.
 */
export interface Role {
  name: string;
  command: string[];
  /**
   * The argv of a follow-up task that continues the agent's previous conversation (same placeholders, plus
   * `{session_id}`); null: every task starts a fresh conversation.
   */
  continue_command: string[] | null;
  description: string;
  /** Set in the config; the fleet picks the effective default per project (see listRoles). */
  default: boolean;
  env: Record<string, string>;
  /** How the CLI's stdout is read: plain text, or a CLI's structured events (rendered as lines, final message, error). */
  output: OutputFormat;
  /** The time a task may run ("2h"), shown to callers; null means no limit ("none"). */
  timeout: string | null;
  timeout_ms: number | null;
  /** How long a task may print nothing before it is ended as failed ("15m"); null means no limit ("none"). */
  idle_timeout: string | null;
  idle_timeout_ms: number | null;
  /**
   * How long the CLI may wait on its model API without progress (only retry notices, or nothing) before the task is
   * ended with the API's error ("5m"); null means no limit ("none"). Not counted while a tool call runs.
   */
  provider_stall: string | null;
  provider_stall_ms: number | null;
  /** The most one task of this role may spend; null: no limit. */
  budget: Budget | null;
  /** Project names this role is offered for; null means every project. */
  projects: string[] | null;
  source: 'builtin' | 'config';
  /** Whether what a task leaves uncommitted is committed on the agent's branch when it ends (default true). */
  autocommit: boolean;
  sandbox: RoleSandbox;
  /**
   * How its CLI's own questions to its user reach the fleet: `claude-stdio` (the claude preset, on the local backend:
   * stream-json on stdin, see tasks/questions); null: it cannot ask. Set by the built-in presets only.
   */
  questions: QuestionProtocol | null;
  /** Declared in the config: the program takes no options where {task} stands (e.g. `printf '%s' {task}`). */
  task_is_operand: boolean;
  /** "local" or an engine backend of the config; null: the project's. */
  backend: string | null;
  /** On an engine backend: limits over the backend's own. */
  limits: LimitsConfig;
  /** On an engine backend: names of the server's variables handed to its tasks as secrets. */
  secrets: string[];
}

export const QUESTION_PROTOCOLS = ['claude-stdio'] as const;
export type QuestionProtocol = (typeof QUESTION_PROTOCOLS)[number];

/** How a role's tasks run in the bwrap sandbox (see src/fleet/backends/local/sandbox). */
export interface RoleSandbox {
  /** As configured; null: the default, which sandboxes the built-in presets where bwrap works. */
  enabled: boolean | null;
  /** Whether the agent reaches out (its model API needs it), through a network of its own; false: loopback only. */
  network: boolean;
  /** Whether the agent may create unix sockets, and so reach every socket the host shows it (fleet-mcp's, docker's). */
  unix_sockets: boolean;
  /** Host loopback ports (TCP) a sandbox with network on may reach; every other one is out of its reach. */
  ports: number[];
  /** The CLI's own state (files or folders, `~` for its HOME), writable inside the sandbox. */
  writable: string[];
  /** A preset's run inside the sandbox, with its CLI's own permission checks off (the sandbox is the boundary); null: the role's own. */
  command: string[] | null;
  continue_command: string[] | null;
  /** Variables the CLI gets only when sandboxed. */
  env: Record<string, string>;
}

/** Where an agent's branch started: the ref asked for (full ref, or the sha of a bare commit) and its commit then. */
export interface AgentBase {
  ref: string;
  commit: string;
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
  /** What `branch` was created from (git projects), null otherwise. */
  base: AgentBase | null;
  current_task_id: string | null;
  /** The name of the token that created the agent (`shared`, a named token, `stdio`); null for older records. */
  created_by: string | null;
  /** Where its tasks run: "local" (this host) or an engine backend of the fleet config; fixed when it is created. */
  backend: string;
  created_at: string;
  updated_at: string;
}

export interface CommitSummary {
  sha: string;
  subject: string;
}

export interface TaskRecord {
  id: string;
  agent: string;
  description: string;
  status: TaskStatus;
  /** While queued for a busy slot: 1 for the next task to start. Null otherwise. */
  queue_position: number | null;
  exit_code: number | null;
  /** Why it failed, was canceled or needs review ("exit code 2", "timed out after 2h", "no output for 15m", "server restarted"). */
  reason: string | null;
  /** What became of it, with `reason` saying why when it is not `succeeded`; null until it ends. */
  outcome: TaskOutcome | null;
  /** Tokens and cost as its CLI reported them (also while it runs); null when its output carries none. */
  usage: TaskUsage | null;
  /** The name of the token whose call gave the task (never its value); null for older records. */
  started_by: string | null;
  /** When the task was given to the agent. */
  created_at: string;
  /** When its process started; null while queued, or when it never started (see reason). */
  started_at: string | null;
  ended_at: string | null;
  /** From start to end of its process; null until it ends, or when it never started. */
  duration_ms: number | null;
  /** The agent's branch head when the task started (git projects), against which its commits are counted. */
  head_at_start: string | null;
  /** Commits the task added on the agent's branch, oldest first; null outside git or before the end. */
  commits: CommitSummary[] | null;
  /** Paths the task changed, committed or not (at most 200); null outside git or before the end. */
  files_changed: string[] | null;
  /** Whether the worktree held uncommitted changes when the task ended; null outside git or before the end. */
  uncommitted_changes: boolean | null;
  /**
   * The commit fleet-mcp made of what the task left uncommitted, once it ended (its role may opt out); null when
   * nothing was left, outside git, or before the end. `commits` lists only the agent's own commits.
   */
  autocommit: { sha: string; files: string[] } | null;
  /** The CLI's final answer, for a role whose output format carries one. */
  final_message: string | null;
  /** An error the CLI reported in its output, even with exit code 0 (the task then failed). */
  error: string | null;
  /** The caller asked for a fresh conversation instead of continuing the agent's previous one. */
  fresh_conversation: boolean;
  /** Whether the task continued the agent's previous conversation (the role's continue_command); null until it starts. */
  continued_conversation: boolean | null;
  /** The CLI's session id, where its output reports one; a follow-up that continues by id resumes it. */
  session_id: string | null;
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
