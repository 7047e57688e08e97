import { tokenCount, type TaskUsage } from '../../usage/task-usage.js';
import { ActivityTracker, errorKind } from './activity.js';
import type { OutputParser } from './index.js';
import { describeToolInput, describeToolResult, obj, oneLine, parseJsonObject, str } from './render.js';
import { ToolFailures } from './tool-failures.js';

/**
 * Gemini CLI's `--output-format stream-json`: one JSON event per line (init, message, tool_use, tool_result,
 * error, result). Assistant text arrives in deltas; it is logged once a different event ends it, and the last
 * such text is the final answer. `result` says success or carries the error (API error, turn limit); a tool
 * call the CLI refused (a path outside the workspace...) is a tool_result with status `error`. `result.stats`
 * carries the session's tokens (input_tokens with the cached ones, `cached`, `input` without); no cost.
 */
// gemini's notice on stderr while it retries a failing API ("Attempt 2 failed with status 429. Retrying with backoff...").
const RETRY_NOTICE = /\bAttempt \d+ failed\b.*\bRetrying\b/;

export function createGeminiParser(): OutputParser {
  let text = '';
  let finalMessage: string | null = null;
  let resultError: string | null = null;
  let streamError: string | null = null;
  const toolNames = new Map<string, string>();
  const failures = new ToolFailures();
  const activity = new ActivityTracker(true);

  const flush = (): string[] => {
    if (text === '') return [];
    finalMessage = text;
    text = '';
    return finalMessage.split('\n');
  };

  const handle = (event: Record<string, unknown>): string[] => {
    switch (event.type) {
      case 'init':
        activity.progressed();
        return [`gemini session ${str(event.session_id) ?? '?'} started (model ${str(event.model) ?? '?'})`];
      case 'tool_use': {
        const name = str(event.tool_name) ?? 'tool';
        toolNames.set(str(event.tool_id) ?? name, name);
        activity.toolStarted(str(event.tool_id) ?? name);
        return [`→ ${name}: ${describeToolInput(event.parameters)}`];
      }
      case 'tool_result':
        return toolResult(event);
      case 'error': {
        const message = oneLine(str(event.message) ?? 'error');
        if (event.severity === 'error') streamError = message;
        activity.providerFailed(message);
        return [`${event.severity === 'error' ? 'error' : 'warning'}: ${message}`];
      }
      case 'result': {
        activity.progressed();
        activity.finished = true;
        activity.usage = geminiUsage(obj(event.stats));
        const error = obj(event.error);
        if (event.status !== 'success') resultError = oneLine(str(error.message) ?? `status ${String(event.status)}`);
        const stats = obj(event.stats);
        const seconds = typeof stats.duration_ms === 'number' ? `, ${(stats.duration_ms / 1000).toFixed(1)}s` : '';
        return [
          `result: ${String(event.status)}${resultError ? ` (${resultError})` : ''}, ${String(stats.tool_calls ?? 0)} tool calls${seconds}`,
        ];
      }
      default:
        return [];
    }
  };

  const toolResult = (event: Record<string, unknown>): string[] => {
    const id = str(event.tool_id) ?? '';
    const name = toolNames.get(id) ?? 'tool';
    const output = str(event.output) ?? '';
    activity.toolEnded(id);
    if (event.status === 'success') {
      failures.record(name, null);
      return [`← ${describeToolResult(output)}`];
    }
    const message = oneLine(str(obj(event.error).message) ?? output ?? 'failed');
    failures.record(name, `${name} failed: ${message}`, output);
    return [`← error ${message}`];
  };

  return {
    stdoutLine(line) {
      const event = parseJsonObject(line);
      if (!event) return [...flush(), line];
      if (event.type === 'message') {
        if (event.role === 'assistant') text += str(event.content) ?? '';
        activity.progressed();
        return [];
      }
      return [...flush(), ...handle(event)];
    },
    stderrLine(line) {
      if (RETRY_NOTICE.test(line)) activity.providerFailed(oneLine(line));
    },
    summary() {
      if (text !== '') finalMessage = text;
      const reported = resultError ?? streamError;
      const failure = reported !== null ? errorKind(reported) : failures.kind();
      return { final_message: finalMessage, error: reported ?? failures.summary(), failure, usage: activity.usage };
    },
    activity: () => activity.snapshot(),
  };
}

function geminiUsage(stats: Record<string, unknown>): TaskUsage {
  const cached = tokenCount(stats.cached);
  const input =
    stats.input !== undefined ? tokenCount(stats.input) : Math.max(0, tokenCount(stats.input_tokens) - cached);
  return {
    input_tokens: input,
    output_tokens: tokenCount(stats.output_tokens),
    cache_read_tokens: cached,
    cache_write_tokens: 0,
    cost_usd: null,
  };
}
