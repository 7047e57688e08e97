import * as z from 'zod';
import { FleetError } from '../../fleet/errors.js';
import type { AgentDetails, Fleet, WaitResult } from '../../fleet/fleet.js';
import {
  agentNameArg,
  fleetTool,
  jsonAnswer,
  READ_ONLY,
  strictArgs,
  type CallContext,
  type ToolAnswer,
} from '../fleet-tool.js';
import { outputSchema } from '../output-schemas.js';
import type { TaskWork } from '../task-registry.js';
import { toolResult } from '../tool-result.js';

/** Without progress notifications a client cannot be told the call is alive, so the wait stays this short. */
const MAX_PLAIN_WAIT_SECONDS = 600;
/** With them, a client that resets its timeout on progress may wait as long as a task may run. */
const MAX_PROGRESS_WAIT_SECONDS = 86_400;
// Below the MCP SDK client's default request timeout of 60 s, so a plain client never gives up first.
const DEFAULT_WAIT_SECONDS = 50;
/** How long an ended wait task's result is kept after the longest its wait may take. */
const TASK_RESULT_KEEP_MS = 60 * 60 * 1000;
/** How often a waiting call that asked for progress is told how the agent is doing. */
export const PROGRESS_EVERY_MS = 5_000;

const input = strictArgs('wait_for_agent', {
  name: agentNameArg,
  timeout_seconds: z
    .number()
    .min(0)
    .max(MAX_PROGRESS_WAIT_SECONDS)
    .default(DEFAULT_WAIT_SECONDS)
    .describe(`Over ${MAX_PLAIN_WAIT_SECONDS} needs a progress token or a task`),
});

const output = outputSchema({
  timed_out: z.boolean(),
  message: z.string(),
  reason: z.string().nullable().describe('Why its task failed'),
  agent: z.unknown().meta({ type: 'object', description: 'As show_agent' }),
});

type WaitArgs = z.output<typeof input>;
type WaitAnswer = z.output<typeof output>;

/** The agent's state and its running task's newest log line, in one line a person or a lead agent can read. */
function progressMessage(fleet: Fleet, name: string): string {
  const agent = fleet.showAgent(name);
  const newest = fleet.liveLogLine(name);
  return `${agent.name} is ${agent.status}${newest ? `: ${newest.text.slice(0, 300)}` : ''}`;
}

/**
 * Waits in slices, reporting progress between them when the caller asked for it, until the agent settles, the time
 * is up or the caller gives up.
 */
async function waitWithProgress(fleet: Fleet, name: string, totalMs: number, call: CallContext): Promise<WaitResult> {
  const started = Date.now();
  for (;;) {
    const left = totalMs - (Date.now() - started);
    const result = await fleet.waitForAgent(name, Math.max(0, Math.min(left, PROGRESS_EVERY_MS)));
    if (!result.timed_out || left <= PROGRESS_EVERY_MS || call.signal.aborted) return result;
    // A task has no progress sink: tasks/get builds the message when asked, so none is built for nobody.
    if (call.progress)
      await call.progress(
        Math.round((Date.now() - started) / 1000),
        Math.round(totalMs / 1000),
        progressMessage(fleet, name),
      );
  }
}

/** Why the wait ended as it did: a failed or canceled task's reason, a failed agent's status_reason. */
function failureReason(agent: AgentDetails, timedOut: boolean): string | null {
  if (timedOut) return null;
  const task = agent.last_task;
  if (task && (task.status === 'failed' || task.status === 'canceled')) return task.reason ?? task.error ?? task.status;
  return agent.status === 'failed' ? agent.status_reason : null;
}

function answer({ agent, timed_out }: WaitResult, waitedSeconds: number, note: string): ToolAnswer<WaitAnswer> {
  const reason = failureReason(agent, timed_out);
  const state = timed_out
    ? `Agent "${agent.name}" is still ${agent.status} after ${waitedSeconds} s.`
    : `Agent "${agent.name}" is ${agent.status}${agent.last_task ? `; its last task ${agent.last_task.status}` : ''}${reason ? `: ${reason}` : ''}.`;
  return jsonAnswer({ timed_out, message: `${state}${note}`, reason, agent });
}

/** The plain call: a bounded wait, longer with progress notifications when the caller sent a progress token. */
async function waitInCall(
  { name, timeout_seconds }: WaitArgs,
  fleet: Fleet,
  call: CallContext,
): Promise<ToolAnswer<WaitAnswer>> {
  const capped = call.progress === undefined && timeout_seconds > MAX_PLAIN_WAIT_SECONDS;
  const seconds = capped ? MAX_PLAIN_WAIT_SECONDS : timeout_seconds;
  const note = capped ? ` The wait was cut to ${MAX_PLAIN_WAIT_SECONDS} s: longer waits need a progress token.` : '';
  const result =
    call.progress === undefined
      ? await fleet.waitForAgent(name, seconds * 1000)
      : await waitWithProgress(fleet, name, seconds * 1000, call);
  return answer(result, seconds, note);
}

/** The wait as an MCP task: no client timeout to stay under, tasks/get shows the agent's state, cancelling it cancels the agent's task. */
function waitAsTask({ name, timeout_seconds }: WaitArgs, fleet: Fleet): TaskWork {
  return {
    run: async (signal) => {
      const done = answer(
        await waitWithProgress(fleet, name, timeout_seconds * 1000, { signal, progress: undefined }),
        timeout_seconds,
        '',
      );
      return { result: toolResult(done), message: done.structured.message };
    },
    describe: () => progressMessage(fleet, name),
    cancel: async () => {
      let message: string;
      try {
        await fleet.cancelTask(name);
        message = ` The wait was cancelled, and with it the agent's task.`;
      } catch (error) {
        if (!(error instanceof FleetError)) throw error;
        message = ` The wait was cancelled; the agent had no task to cancel: ${error.message}`;
      }
      const done = answer({ agent: fleet.showAgent(name), timed_out: false }, 0, message);
      return { result: toolResult(done), message: message.trim() };
    },
  };
}

export const waitForAgent = fleetTool({
  name: 'wait_for_agent',
  scope: 'read',
  title: 'Wait for agent',
  description:
    'Waits until the agent is not starting, pending or busy, or timeout_seconds pass (timed_out: call again). ' +
    'For long waits send a progress token or run it as a task.',
  input,
  output,
  annotations: READ_ONLY,
  handler: (args, { fleet }, call) => waitInCall(args, fleet, call),
  task: (args, { fleet }) => ({
    work: waitAsTask(args, fleet),
    ttlMs: args.timeout_seconds * 1000 + TASK_RESULT_KEEP_MS,
  }),
});
