import { costUsd, roundUsd, tokenCount, type TaskUsage } from '../../usage/task-usage.js';
import { ActivityTracker, errorKind } from './activity.js';
import type { OutputParser } from './index.js';
import { describeToolInput, describeToolResult, obj, oneLine, parseJsonObject, str } from './render.js';
import { ToolFailures } from './tool-failures.js';

// The tool errors opencode gives for a permission it auto-rejects in `run` mode and for one a config rule denies.
const DENIED = /rejected permission|rule which prevents you/i;

/**
 * opencode's `run --format json`: one JSON event per line (step_start, text, tool_use, step_finish, error).
 * It has no result event, so the final answer is the last text it printed. A tool call that a permission rule
 * denied or that was rejected for asking counts as an error, since the CLI still exits 0. Each `step_finish`
 * carries the step's tokens and cost. A tool call shows only once it has ended, so waiting on the API cannot be
 * told apart from a running tool.
 */
export function createOpencodeParser(): OutputParser {
  let lastText: string | null = null;
  let sessionId: string | null = null;
  const errors: string[] = [];
  const failures = new ToolFailures();
  const activity = new ActivityTracker(false);

  const tool = (part: Record<string, unknown>): string[] => {
    const name = str(part.tool) ?? 'tool';
    const state = obj(part.state);
    const lines = [`→ ${name}: ${describeToolInput(state.input)}`];
    if (state.status === 'error') {
      const message = str(state.error) ?? 'failed';
      if (DENIED.test(message)) errors.push(`permission denied: ${name} ${describeToolInput(state.input)}`);
      else failures.record(name, `${name} failed: ${oneLine(message)}`, message);
      lines.push(`← error ${oneLine(message)}`);
    } else if (state.status === 'completed') {
      failures.record(name, null);
      lines.push(`← ${describeToolResult(str(state.output) ?? '')}`);
    }
    return lines;
  };

  const error = (event: Record<string, unknown>): string[] => {
    const details = obj(event.error);
    const data = obj(details.data);
    const text = oneLine(`${str(details.name) ?? 'error'}: ${str(data.message) ?? JSON.stringify(details)}`);
    errors.push(text);
    activity.providerFailed(text);
    return [text];
  };

  return {
    stdoutLine(line) {
      const event = parseJsonObject(line);
      if (!event) return [line];
      const part = obj(event.part);
      sessionId = str(event.sessionID) ?? sessionId;
      if (event.type !== 'error') activity.progressed();
      if (event.type === 'step_finish') activity.usage = addStep(activity.usage, part);
      activity.finished = event.type === 'step_finish' && part.reason === 'stop';
      switch (event.type) {
        case 'text': {
          const text = str(part.text) ?? '';
          lastText = text;
          return text.split('\n');
        }
        case 'tool_use':
          return tool(part);
        case 'error':
          return error(event);
        default:
          return [];
      }
    },
    summary() {
      const reported = errors.length > 0 ? errors.join('; ') : null;
      // A denied tool call is a tool call that failed, as claude's denials are.
      const failure =
        reported !== null ? (reported.startsWith('permission denied') ? 'tool' : errorKind(reported)) : failures.kind();
      return {
        final_message: lastText,
        error: reported ?? failures.summary(),
        failure,
        session_id: sessionId,
        usage: activity.usage,
      };
    },
    activity: () => activity.snapshot(),
  };
}

/** opencode's step tokens: `{ input, output, reasoning, cache: { read, write } }`, reasoning billed as output. */
function addStep(sum: TaskUsage | null, part: Record<string, unknown>): TaskUsage {
  const tokens = obj(part.tokens);
  const cache = obj(tokens.cache);
  const cost = costUsd(part.cost);
  return {
    input_tokens: (sum?.input_tokens ?? 0) + tokenCount(tokens.input),
    output_tokens: (sum?.output_tokens ?? 0) + tokenCount(tokens.output) + tokenCount(tokens.reasoning),
    cache_read_tokens: (sum?.cache_read_tokens ?? 0) + tokenCount(cache.read),
    cache_write_tokens: (sum?.cache_write_tokens ?? 0) + tokenCount(cache.write),
    cost_usd: cost === null && sum?.cost_usd == null ? null : roundUsd((sum?.cost_usd ?? 0) + (cost ?? 0)),
  };
}
