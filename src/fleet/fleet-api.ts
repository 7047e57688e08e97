import type { AgentChange } from './agents/agent-registry.js';
import type { ChangesRequest } from './backend.js';
import type { PageRequest } from './pagination.js';
import type { Project } from './projects.js';
import type { CleanupResult } from './review/branch-cleanup.js';
import type { AgentChanges, NotGitChanges } from './review/changes.js';
import type { MergeResult, MergeStrategy } from './review/merge.js';
import type { OfferedRole } from './agents/role-usability.js';
import type { Agent, LogLine, Page, Role, TaskOutcome, TaskRecord, TaskStatus } from './types.js';
import type { UsageTotals } from './usage/task-usage.js';
import type { UsageReport } from './usage/usage-ledger.js';

/** One question of an AgentQuestion, with the options its CLI offers (an answer may also be free text). */
export interface AgentQuestionItem {
  question: string;
  header: string;
  multi_select: boolean;
  options: { label: string; description: string }[];
}

/**
 * A question the agent's CLI put to its user, waiting for an answer (Claude Code's AskUserQuestion). The idle
 * timeout does not run while it waits; the task's timeout does.
 */
export interface AgentQuestion {
  /** The server's own opaque id, to answer it by. */
  id: string;
  task_id: string;
  /** ISO time. */
  asked_at: string;
  questions: AgentQuestionItem[];
}

/**
 * The answer to an AgentQuestion: per question text, an option's label or free text (several labels of a
 * multi-select question joined by ", "); or the question declined, with the message its CLI gets.
 */
export type QuestionAnswer = { answers: Record<string, string> } | { declined: string };

/** An agent with the sums of its tasks' tokens and cost (the running task's so far included). */
export interface AgentWithUsage extends Agent {
  usage: UsageTotals;
  /** The question its running task waits on an answer to; null when none waits. */
  question: AgentQuestion | null;
}

/** What the fleet offers the tools: the operations on agents, and what they take and answer. */

/** An agent with what a caller usually wants next: how many tasks it ran and the latest one. */
export interface AgentDetails extends AgentWithUsage {
  task_count: number;
  last_task: TaskRecord | null;
}

/** How an agent's latest task ended, or where it stands; null before its first task. */
export interface LastOutcome {
  task_id: string;
  status: TaskStatus;
  /** What became of it, finer than its status (null while it runs). */
  outcome: TaskOutcome | null;
  /** Why it failed, was canceled or needs review. */
  reason: string | null;
}

/** An agent as listed: its record, and its latest task's outcome, so a failed task does not hide behind "idle". */
export interface ListedAgent extends AgentWithUsage {
  last_outcome: LastOutcome | null;
}

export interface WaitResult {
  agent: AgentDetails;
  /** True when the wait ended because the timeout passed while the agent was still busy. */
  timed_out: boolean;
}

export interface CreateAgentInput {
  name: string;
  project: string;
  task: string;
  role?: string;
  /** Who asks: the name of the caller's token, kept on the agent and its first task. */
  by?: string;
  /** Branch, tag or commit the agent's branch starts from (git projects); default: the project's base, else the main checkout's HEAD branch. */
  base?: string;
}

export interface StartTaskOptions {
  /** Start a new conversation instead of continuing the agent's previous one. */
  freshConversation?: boolean;
  /** Who asks: the name of the caller's token, kept on the task. */
  by?: string;
}

/** A deleted agent, with what became of its branch. */
export interface DeletedAgent extends Agent {
  /** The branch was deleted (its work is in the agent's base) or kept, with why; null outside git. */
  branch_outcome: { branch: string; deleted: boolean; reason: string | null } | null;
  /** With force: what deleting would have lost when the delete was not forced; null when nothing. */
  forced_past: string | null;
}

export interface MergeAgentRequest {
  target?: string;
  /** The branch commit the lead reviewed; the merge is refused when the branch has moved since. */
  commit?: string;
  strategy: MergeStrategy;
  message?: string;
  /** What to do with files the agent left uncommitted: commit them on its branch first (the default), or refuse. */
  leftovers?: 'commit' | 'refuse';
}

export type MergeAgentResult = MergeResult & {
  agent: string;
  /** What the agent had left uncommitted, committed on its branch before merging; null when nothing was. */
  leftovers_committed: { sha: string; files: string[] } | null;
};

export type CleanupBranchesResult = CleanupResult & { project: string; into: string };

export interface ListAgentsFilter {
  status?: string;
  project?: string;
}

/** One page of list_agents: the agents after the cursor, by name, and the cursor of the page after it. */
export interface ListAgentsRequest extends ListAgentsFilter {
  /** The `next_cursor` of the page before; left out: the first page. */
  cursor?: string;
  pageSize?: number;
}

export interface AgentsPage {
  agents: ListedAgent[];
  /** Agents matching the filter, on every page. */
  total_count: number;
  /** Where the next page starts; null on the last page. */
  next_cursor: string | null;
}

export const AGENT_LIST_PAGES = { defaultSize: 50, maxSize: 500 } as const;

export const DEFAULT_MAX_AGENTS = 100;

export const TASK_HISTORY_PAGES = { defaultSize: 20, maxSize: 100 } as const;
export const AGENT_LOG_PAGES = { defaultSize: 50, maxSize: 500 } as const;

export interface Fleet {
  listProjects(): Project[];
  /** The project's roles, each with whether its tasks can start (`usable`) and, if not, the `problem` and its fix. */
  listRoles(project: string): OfferedRole[];
  createAgent(input: CreateAgentInput): Promise<AgentDetails>;
  /** Every agent matching the filter, by name: for the server's own views, which show them all. */
  listAgents(filter?: ListAgentsFilter): ListedAgent[];
  /** One page of them, for list_agents: a cursor is an agent's name, so an agent that stays is listed exactly once. */
  listAgentsPage(request?: ListAgentsRequest): AgentsPage;
  /** Tokens and cost of every task that ended, in all and per project and per token; kept across deleted agents. */
  usageReport(): UsageReport;
  /** The bare repository an agent on an engine fetches and pushes its branch to; null for any other name. */
  engineRepository(name: string): string | null;
  /** The name of the agent with this key (see agentKey), or null once it is gone: one lookup, where a list is many. */
  agentName(key: string): string | null;
  showAgent(name: string): AgentDetails;
  startTask(name: string, description: string, options?: StartTaskOptions): Promise<AgentDetails>;
  cancelTask(name: string): Promise<AgentDetails>;
  restartAgent(name: string, by?: string): Promise<AgentDetails>;
  deleteAgent(name: string, options?: { force?: boolean }): Promise<DeletedAgent>;
  agentChanges(name: string, request?: ChangesRequest): Promise<(AgentChanges | NotGitChanges) & { agent: string }>;
  mergeAgent(name: string, request: MergeAgentRequest): Promise<MergeAgentResult>;
  cleanupBranches(project: string, into?: string): Promise<CleanupBranchesResult>;
  taskHistory(name: string, request?: PageRequest): Page<TaskRecord>;
  agentLog(name: string, request?: PageRequest): Promise<Page<LogLine>>;
  /** The newest line of the agent's running task, from memory; undefined when no task runs. */
  liveLogLine(name: string): LogLine | undefined;
  /**
   * Answers (or declines) the question the agent's running task waits on; `id` is the AgentQuestion's. An unknown or
   * stale id, or an agent with no question waiting, is a FleetError.
   */
  answerQuestion(name: string, id: string, answer: QuestionAnswer): Promise<AgentDetails>;
  /** Resolves once the agent is no longer working, or its running task waits on a question, or at the timeout. */
  waitForAgent(name: string, timeoutMs: number): Promise<WaitResult>;
  /** Hears every change of any agent's record, log or question (keyed by agentKey), until the returned function is called. */
  onChange(listener: (change: AgentChange) => void): () => void;
  /**
   * Puts new projects and roles in force; throws (and keeps the old ones) when they do not fit together. Running
   * tasks keep the role they started with; an agent whose role or project is gone is told so by the calls that need it.
   */
  reloadConfig(projects: Project[], roles: Role[]): void;
  /** Whether some agent has a task queued, starting, running or being canceled. */
  isWorking(): boolean;
  shutdown(): Promise<void>;
}
