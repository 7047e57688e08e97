import * as z from 'zod';
import { FleetError } from '../../fleet/errors.js';
import type { AgentDetails, Fleet, WaitResult } from '../../fleet/fleet.js';
import { askAgentQuestion, questionText } from '../agent-question.js';
import { answerAsked, questionSettled } from '../answer-agent-question.js';
import {
  agentNameArg,
  fleetTool,
  jsonAnswer,
  READ_ONLY,
  strictArgs,
  type CallContext,
  type ToolAnswer,
  type ToolOutcome,
} from '../fleet-tool.js';
import { outputSchema } from '../output-schemas.js';
import type { TaskWork } from '../task-registry.js';
import { toolResult } from '../tool-result.js';
import { visible } from '../visible-text.js';

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

/**
 * The agent's state and its running task's newest log line, in one line a person or a lead agent can read; the
 * line's control characters spelt out, as the agent may have chosen them.
 */
function progressMessage(fleet: Fleet, name: string): string {
  const agent = fleet.showAgent(name);
  const newest = fleet.liveLogLine(name);
  return `${agent.name} is ${agent.status}${newest ? `: ${visible(newest.text.slice(0, 300))}` : ''}`;
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

/** Where the agent waits on its user: the question, and how a lead that was not asked it answers it. */
function questionNote(agent: AgentDetails): string {
  if (!agent.question) return '';
  return ` ${questionText(agent.name, agent.question)} Answer with start_agent_task (its task is the answer).`;
}

function answer({ agent, timed_out }: WaitResult, waitedSeconds: number, note: string): ToolAnswer<WaitAnswer> {
  const reason = failureReason(agent, timed_out);
  note = `${questionNote(agent)}${note}`;
  const state = timed_out
    ? `Agent "${agent.name}" is still ${agent.status} after ${waitedSeconds} s.`
    : `Agent "${agent.name}" is ${agent.status}${agent.last_task ? `; its last task ${agent.last_task.status}` : ''}${reason ? `: ${reason}` : ''}.`;
  return jsonAnswer({ timed_out, message: `${state}${note}`, reason, agent });
}

/**
 * The plain call: a bounded wait, longer with progress notifications when the caller sent a progress token. Where
 * the client can answer, the agent's question is put to its user, and the call that brings the answer waits on.
 */
async function waitInCall(
  { name, timeout_seconds }: WaitArgs,
  fleet: Fleet,
  call: CallContext,
): Promise<ToolOutcome<WaitAnswer>> {
  if (call.reply) await answerAsked(fleet, name, call.reply);
  const capped = call.progress === undefined && timeout_seconds > MAX_PLAIN_WAIT_SECONDS;
  const seconds = capped ? MAX_PLAIN_WAIT_SECONDS : timeout_seconds;
  const note = capped ? ` The wait was cut to ${MAX_PLAIN_WAIT_SECONDS} s: longer waits need a progress token.` : '';
  const result =
    call.progress === undefined
      ? await fleet.waitForAgent(name, seconds * 1000)
      : await waitWithProgress(fleet, name, seconds * 1000, call);
  const question = result.agent.question;
  if (question && call.reply && !result.timed_out) return askAgentQuestion(result.agent.name, question);
  return answer(result, seconds, note);
}

/**
 * The task's wait; where its client can answer (`asks`), a question does not end it: the task is input_required
 * until the question is answered (tasks/update), and waits on after.
 */
async function waitOnAnswers(
  fleet: Fleet,
  name: string,
  totalMs: number,
  asks: boolean,
  signal: AbortSignal,
): Promise<WaitResult> {
  const deadline = Date.now() + totalMs;
  for (;;) {
    const result = await waitWithProgress(fleet, name, Math.max(0, deadline - Date.now()), {
      signal,
      progress: undefined,
    });
    const question = result.agent.question;
    if (!asks || !question || result.timed_out || signal.aborted) return result;
    if (!(await questionSettled(fleet, name, question.id, deadline - Date.now(), signal)))
      return { agent: fleet.showAgent(name), timed_out: true };
  }
}

/**
 * The wait as an MCP task: no client timeout to stay under, tasks/get shows the agent's state (or its question, where
 * the client can answer it), cancelling it cancels the agent's task.
 */
function waitAsTask({ name, timeout_seconds }: WaitArgs, fleet: Fleet, asks: boolean): TaskWork {
  return {
    run: async (signal) => {
      const done = answer(await waitOnAnswers(fleet, name, timeout_seconds * 1000, asks, signal), timeout_seconds, '');
      return { result: toolResult(done), message: done.structured.message };
    },
    describe: () => progressMessage(fleet, name),
    asking: () => {
      const agent = asks ? fleet.showAgent(name) : undefined;
      return agent?.question ? askAgentQuestion(agent.name, agent.question) : undefined;
    },
    answer: (reply) => (asks ? answerAsked(fleet, name, reply) : Promise.resolve()),
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
    'Waits until the agent is not starting, pending or busy, asks, or timeout_seconds pass (timed_out: call ' +
    'again). Long waits: a progress token or a task.',
  input,
  output,
  annotations: READ_ONLY,
  handler: (args, { fleet }, call) => waitInCall(args, fleet, call),
  task: (args, { fleet }, asks) => ({
    work: waitAsTask(args, fleet, asks),
    ttlMs: args.timeout_seconds * 1000 + TASK_RESULT_KEEP_MS,
  }),
});
