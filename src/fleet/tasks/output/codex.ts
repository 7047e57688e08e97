import { tokenCount, type TaskUsage } from '../../usage/task-usage.js';
import { ActivityTracker } from './activity.js';
import type { OutputParser } from './index.js';
import { describeToolResult, list, obj, oneLine, parseJsonObject, str } from './render.js';
import { ToolFailures } from './tool-failures.js';

/**
 * Codex CLI's `exec --json`: one JSON event per line (thread.*, turn.*, item.*, error). The last agent message is
 * the final answer. An API error ends the turn with `turn.failed`; a command or file change the sandbox refused
 * or that failed shows as an item with status `failed`, which codex reports while still exiting 0. Usage comes
 * with each `turn.completed` (input_tokens there include the cached ones); codex reports no cost.
 */
const TOOL_ITEMS = new Set(['command_execution', 'file_change', 'mcp_tool_call', 'web_search']);

export function createCodexParser(): OutputParser {
  let finalMessage: string | null = null;
  let turnError: string | null = null;
  let threadId: string | null = null;
  const failures = new ToolFailures();
  const activity = new ActivityTracker(true);

  const item = (event: Record<string, unknown>, done: boolean): string[] => {
    const entry = obj(event.item);
    const id = str(entry.id) ?? '';
    if (entry.type === 'error') return done ? [`warning: ${oneLine(str(entry.message) ?? '')}`] : [];
    // Only tool calls hold the run off the API; a todo list stays open for the whole turn.
    if (!TOOL_ITEMS.has(str(entry.type) ?? '')) activity.progressed();
    else if (!done) activity.toolStarted(id);
    else activity.toolEnded(id);
    switch (entry.type) {
      case 'agent_message':
        finalMessage = str(entry.text);
        return done && finalMessage ? finalMessage.split('\n') : [];
      case 'reasoning':
        return done && str(entry.text) ? [`(thinking) ${oneLine(str(entry.text)!)}`] : [];
      case 'command_execution':
        return done ? commandDone(entry) : [`→ shell: ${oneLine(str(entry.command) ?? '')}`];
      case 'file_change':
        return done ? fileChangeDone(entry) : [];
      case 'mcp_tool_call':
        return done ? mcpDone(entry) : [`→ ${str(entry.server) ?? 'mcp'}/${str(entry.tool) ?? 'tool'}`];
      case 'web_search':
        return done ? [`→ web search: ${oneLine(str(entry.query) ?? '')}`] : [];
      default:
        return [];
    }
  };

  const commandDone = (entry: Record<string, unknown>): string[] => {
    const output = str(entry.aggregated_output) ?? '';
    if (entry.status === 'completed') {
      failures.record('command', null);
      return [`← ${describeToolResult(output)}`];
    }
    const exit = typeof entry.exit_code === 'number' ? `exited ${entry.exit_code}` : String(entry.status ?? 'failed');
    const detail = output.trim() ? `: ${describeToolResult(output)}` : '';
    failures.record('command', `command failed (${exit}): ${oneLine(str(entry.command) ?? '')}${detail}`, output);
    return [`← error ${exit}${detail}`];
  };

  const fileChangeDone = (entry: Record<string, unknown>): string[] => {
    const paths = list(entry.changes).map(
      (change) => `${str(obj(change).kind) ?? 'change'} ${str(obj(change).path) ?? '?'}`,
    );
    const what = paths.join(', ') || 'files';
    failures.record('file_change', entry.status === 'completed' ? null : `file change failed: ${what}`);
    return [`${entry.status === 'completed' ? '←' : '← error'} ${what}`];
  };

  const mcpDone = (entry: Record<string, unknown>): string[] => {
    const tool = `${str(entry.server) ?? 'mcp'}/${str(entry.tool) ?? 'tool'}`;
    const message = str(obj(entry.error).message);
    failures.record(
      tool,
      entry.status === 'completed' ? null : `${tool} failed${message ? `: ${oneLine(message)}` : ''}`,
    );
    return [
      entry.status === 'completed' ? `← ${tool} done` : `← error ${tool}${message ? `: ${oneLine(message)}` : ''}`,
    ];
  };

  return {
    stdoutLine(line) {
      const event = parseJsonObject(line);
      if (!event) return [line];
      switch (event.type) {
        case 'thread.started':
          activity.progressed();
          threadId = str(event.thread_id) ?? threadId;
          return [`codex thread ${threadId ?? '?'} started`];
        case 'item.started':
          activity.finished = false;
          return item(event, false);
        case 'item.completed':
          return item(event, true);
        case 'turn.completed': {
          turnError = null;
          activity.progressed();
          const usage = obj(event.usage);
          activity.usage = addTurn(activity.usage, usage);
          activity.finished = true;
          return [
            `turn completed (${String(usage.input_tokens ?? '?')} input, ${String(usage.output_tokens ?? '?')} output tokens)`,
          ];
        }
        case 'turn.failed':
          turnError = apiMessage(str(obj(event.error).message) ?? 'turn failed');
          activity.providerFailed(turnError);
          return [`turn failed: ${turnError}`];
        case 'error':
          // A stream error may be retried; it is the outcome only if no turn completes after it.
          turnError = apiMessage(str(event.message) ?? 'error');
          activity.providerFailed(turnError);
          return [`error: ${turnError}`];
        default:
          return [];
      }
    },
    summary() {
      // A failed turn or a stream error is codex's report of its model API (a 5xx reads "We're currently experiencing high demand").
      const failure = turnError !== null ? 'provider' : failures.kind();
      return {
        final_message: finalMessage,
        error: turnError ?? failures.summary(),
        failure,
        session_id: threadId,
        usage: activity.usage,
      };
    },
    activity: () => activity.snapshot(),
  };
}

/** Codex passes the API's error body through as text; its `error.message` is what a person needs. */
function apiMessage(text: string): string {
  const body = parseJsonObject(text.trim());
  const inner = body ? str(obj(body.error).message) : null;
  return oneLine(inner ? `API error: ${inner}` : text);
}

/** Codex's turn usage: input_tokens include cached_input_tokens, which are counted apart here. */
function addTurn(sum: TaskUsage | null, usage: Record<string, unknown>): TaskUsage {
  const cached = tokenCount(usage.cached_input_tokens);
  const turn = {
    input: Math.max(0, tokenCount(usage.input_tokens) - cached),
    cached,
    output: tokenCount(usage.output_tokens),
  };
  return {
    input_tokens: (sum?.input_tokens ?? 0) + turn.input,
    output_tokens: (sum?.output_tokens ?? 0) + turn.output,
    cache_read_tokens: (sum?.cache_read_tokens ?? 0) + turn.cached,
    cache_write_tokens: (sum?.cache_write_tokens ?? 0) + tokenCount(usage.cache_write_input_tokens),
    cost_usd: null,
  };
}
