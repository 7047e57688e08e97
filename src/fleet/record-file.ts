import { dirname, isAbsolute, join, resolve } from 'node:path';
import * as z from 'zod';
import { agentKey, isValidAgentName } from './agents/names.js';
import type { AgentRecord } from './store.js';
import { AGENT_STATUSES } from './types.js';

export const FORMAT_VERSION = 1;

// Task ids name log files under logs/<agent>/, so they are plain file-name words, never a path.
const TASK_ID = /^[A-Za-z0-9_-]{1,128}$/;

const absolutePath = z.string().refine(isAbsolute, { error: 'is not an absolute path' });

/**
 * What the server acts on in a state file read from the data dir: the agent's name (it names files to remove), its
 * status (a `deleting` agent gets its worktree removed), its paths and its process (which may get signalled). Other
 * fields are kept as they are, for the code that shows them.
 */
const recordFileSchema = z.object({
  version: z.literal(FORMAT_VERSION),
  agent: z.looseObject({
    name: z.string().refine(isValidAgentName, { error: 'is not a valid agent name' }),
    status: z.enum(AGENT_STATUSES),
    workdir: absolutePath,
    // Records written before engine backends ran on this host.
    backend: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$/, { error: 'is not a backend name' })
      .default('local'),
  }),
  tasks: z.array(z.looseObject({ id: z.string().regex(TASK_ID, { error: 'is not a task id' }), status: z.string() })),
  git: z
    .object({
      repo_root: absolutePath,
      worktree: absolutePath,
      base: z.object({ ref: z.string(), commit: z.string() }).optional(),
    })
    .nullable()
    .default(null),
  process: z
    .object({
      task_id: z.string(),
      // 0 and 1 (and negatives) name our own process group or init to kill(), never a task of ours. Null: a task
      // on an engine, which the server follows itself.
      pid: z.number().int().min(2).nullable(),
      // Without a start time a pid cannot be told apart from a reused one, so such a process is never signalled.
      pid_start: z.string().nullable().default(null),
    })
    .nullable()
    .default(null),
  // Records written before worktree setup existed had none to run.
  setup_pending: z.boolean().default(false),
  ran_sandboxed: z.boolean().default(false),
});

function describeIssue(issue: z.core.$ZodIssue): string {
  return `${issue.path.join('.') || 'the file'} ${issue.message}`;
}

/** Why a record may not be used as the state of agent `key` in `dataDir`, or null when it may. */
function placeProblem(record: AgentRecord, key: string, dataDir: string): string | null {
  if (agentKey(record.agent.name) !== key)
    return `its agent name ${JSON.stringify(record.agent.name)} does not match its file name`;
  if (!record.git) return null;
  const { worktree } = record.git;
  if (dirname(resolve(worktree)) !== resolve(dataDir, 'worktrees'))
    return `its worktree ${worktree} is not in ${join(dataDir, 'worktrees')}`;
  const workdir = resolve(record.agent.workdir);
  if (workdir !== resolve(worktree) && !workdir.startsWith(`${resolve(worktree)}/`))
    return `its working directory ${workdir} is not in its worktree`;
  return null;
}

/**
 * Parses the state file of agent `key`: the data dir is input like any other, so a record that is malformed, or
 * that points outside the data dir's worktrees, is refused with the reason and never acted on.
 */
export function parseRecordFile(
  json: unknown,
  key: string,
  dataDir: string,
): { record: AgentRecord } | { problem: string } {
  const parsed = recordFileSchema.safeParse(json);
  if (!parsed.success) return { problem: describeIssue(parsed.error.issues[0]!) };
  const { agent, tasks, git, process, setup_pending, ran_sandboxed } = parsed.data;
  // The schema checks the fields the server acts on; the rest of the record's shape is the format's, as written.
  // Records written before agents kept who created them say nobody.
  const record = {
    agent: { created_by: null, ...agent },
    tasks,
    git,
    process,
    setup_pending,
    ran_sandboxed,
  } as unknown as AgentRecord;
  const problem = placeProblem(record, key, dataDir);
  return problem ? { problem } : { record };
}
