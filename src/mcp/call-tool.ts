import { isQuestion } from './confirmations.js';
import { isExpectedError } from './expected-errors.js';
import type { CallContext, FleetToolDeps, Question, TaskPlan } from './fleet-tool.js';
import type { AnyFleetTool } from './fleet-tools.js';
import { internalErrorText, logInternalError } from './internal-error.js';
import type { TaskWork } from './task-registry.js';
import { toolErrorResult, toolResult, type ToolErrorResult, type ToolResult } from './tool-result.js';

/**
 * Runs a tool's handler and turns what it answers into the SDK's result. An expected error (a refusal, or a failure
 * in words for the caller) is thrown on, and the SDK answers its message as before; any other is logged with its
 * stack and answered as an internal error with the log line's id, since its message may hold paths or secrets.
 */
export async function callTool(
  tool: AnyFleetTool,
  args: Record<string, unknown>,
  deps: FleetToolDeps,
  call: CallContext,
  askUser?: (question: Question) => unknown,
): Promise<ToolResult | ToolErrorResult> {
  try {
    return await answer(tool, args, deps, call, askUser);
  } catch (error) {
    return unexpected(error, tool, deps, call.signal);
  }
}

type WorkAnswer = Awaited<ReturnType<TaskWork['run']>>;

/** A tool's MCP task, whose work answers an unexpected error as callTool does: the task fails with the id. */
export function taskPlan(
  tool: AnyFleetTool,
  args: Record<string, unknown>,
  deps: FleetToolDeps,
  asks = false,
): TaskPlan {
  const { work, ttlMs } = tool.task!(args, deps, asks);
  const guarded = async (step: () => Promise<WorkAnswer>, signal?: AbortSignal): Promise<WorkAnswer> => {
    try {
      return await step();
    } catch (error) {
      const result = unexpected(error, tool, deps, signal);
      return { result, message: result.content[0].text };
    }
  };
  return {
    ttlMs,
    work: {
      ...work,
      run: (signal) => guarded(() => work.run(signal), signal),
      cancel: () => guarded(() => work.cancel()),
    },
  };
}

/** Throws an expected error on; logs any other and answers it as an internal error with the log line's id. */
function unexpected(
  error: unknown,
  tool: AnyFleetTool,
  deps: FleetToolDeps,
  signal: AbortSignal | undefined,
): ToolErrorResult {
  // A call the client cancelled or left gets no answer, and its abort is no fault of the server.
  if (isExpectedError(error) || signal?.aborted) throw error;
  const id = logInternalError(error, {
    logger: deps.logger,
    tokenName: deps.caller,
    tool: tool.name,
    what: 'tool call failed with an unexpected error',
  });
  return toolErrorResult(internalErrorText(id));
}

async function answer(
  tool: AnyFleetTool,
  args: Record<string, unknown>,
  deps: FleetToolDeps,
  call: CallContext,
  askUser: ((question: Question) => unknown) | undefined,
): Promise<ToolResult> {
  const outcome = await tool.handler(args, deps, call);
  if (!isQuestion(outcome)) return toolResult(outcome);
  // A handler asks only when CallContext.confirm is there, which only a server that can put the question gives it.
  if (!askUser) throw new Error(`Tool ${tool.name} asked a question where the client cannot be asked.`);
  return askUser(outcome) as ToolResult;
}
