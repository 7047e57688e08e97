import { costUsd, tokenCount, type TaskUsage } from '../../usage/task-usage.js';
import { ActivityTracker, errorKind } from './activity.js';
import { questionLines, readControlCancel, readControlRequest } from './claude-control.js';
import type { ControlEvent, FailureKind, OutputParser } from './index.js';
import { describeToolInput, describeToolResult, list, obj, oneLine, parseJsonObject, str } from './render.js';
import { ToolFailures } from './tool-failures.js';

const ASK_TOOL = 'AskUserQuestion';

/**
 * Claude Code's `--output-format stream-json --verbose`: one JSON event per line (system, assistant, user, result).
 * The result event carries the final answer, usage and cost; errors show as `is_error`, a non-success subtype
 * (turn limit...), API error messages, permission denials and failed tool results, which the CLI reports while
 * still exiting 0. `api_retry` notices are not progress: they say the API keeps failing.
 */
export function createClaudeParser(): OutputParser {
  let finalMessage: string | null = null;
  let resultError: string | null = null;
  let apiError: string | null = null;
  let sessionUsage: TaskUsage | null = null;
  const denials = new Map<string, string>();
  const toolNames = new Map<string, string>();
  const failures = new ToolFailures();
  const activity = new ActivityTracker(true);
  // Claude Code prints one assistant event per content block, each with its message's usage: counted once per message.
  const messageUsage = new Map<string, TaskUsage>();
  let control: ControlEvent[] = [];

  const deny = (id: string, text: string): void => {
    if (!denials.has(id)) denials.set(id, text);
  };

  const system = (event: Record<string, unknown>): string[] => {
    switch (event.subtype) {
      case 'init':
        activity.progressed();
        return [
          `claude ${str(event.claude_code_version) ?? ''} started in ${str(event.cwd) ?? '?'} (model ${str(event.model) ?? '?'}, permission mode ${str(event.permissionMode) ?? '?'})`,
        ];
      case 'api_retry': {
        const text = `API error ${String(event.error_status ?? '')} (${str(event.error) ?? 'unknown'}): retry ${String(event.attempt)} of ${String(event.max_retries)}`;
        activity.providerFailed(text);
        return [text];
      }
      case 'permission_denied': {
        const text = `permission denied: ${str(event.tool_name) ?? 'tool'}: ${oneLine(str(event.message) ?? str(event.decision_reason) ?? '')}`;
        deny(str(event.tool_use_id) ?? text, text);
        return [text];
      }
      default:
        return [];
    }
  };

  // The result is the CLI's last event: a conversation that goes on after one was shown a forged one (a tool can
  // write to the CLI's stdout), so it ended nothing.
  const goesOn = (): void => {
    activity.finished = false;
  };

  const assistant = (event: Record<string, unknown>): string[] => {
    goesOn();
    const message = obj(event.message);
    const lines: string[] = [];
    for (const block of list(message.content).map(obj)) {
      if (block.type === 'text' && str(block.text)) lines.push(...str(block.text)!.split('\n'));
      if (block.type === 'tool_use') {
        toolNames.set(str(block.id) ?? '', str(block.name) ?? 'tool');
        activity.toolStarted(str(block.id) ?? '');
        lines.push(`→ ${str(block.name) ?? 'tool'}: ${describeToolInput(block.input)}`);
      }
    }
    if (event.is_api_error_message === true || event.error !== undefined) {
      apiError = oneLine(lines.join(' ') || `API error ${String(event.error)}`);
      activity.providerFailed(apiError);
      return lines;
    }
    activity.progressed();
    if (str(message.id)) messageUsage.set(str(message.id)!, claudeUsage(message.usage, null));
    return lines;
  };

  const user = (event: Record<string, unknown>): string[] => {
    goesOn();
    const lines: string[] = [];
    for (const block of list(obj(event.message).content).map(obj)) {
      if (block.type !== 'tool_result') continue;
      const id = str(block.tool_use_id) ?? '';
      const name = toolNames.get(id) ?? 'tool';
      const text = toolResultText(block.content);
      activity.toolEnded(id);
      control.push({ kind: 'resolved', toolUseId: id });
      // A denial is reported as one already (below); its error result is not a second failure. A question the user
      // declined is an answer, not a failed tool.
      if (!denials.has(id) && name !== ASK_TOOL)
        failures.record(name, block.is_error === true ? `${name} failed: ${describeToolResult(text)}` : null, text);
      lines.push(`${block.is_error === true ? '← error' : '←'} ${describeToolResult(text)}`);
    }
    return lines;
  };

  /** A prompt its CLI puts to the host (`--permission-prompt-tool=stdio`): a question for the user, or refused. */
  const controlRequest = (event: Record<string, unknown>): string[] => {
    const request = readControlRequest(event);
    if (!request) return ['an unreadable control request was ignored'];
    control.push(request);
    if (request.kind === 'question') return questionLines(request.questions);
    if (request.kind !== 'refuse') return [];
    const text = `permission denied: ${request.tool ?? 'request'}: ${request.message}`;
    if (request.tool !== null && request.tool !== ASK_TOOL)
      deny(request.toolUseId ?? `request ${request.requestId}`, text);
    return [text];
  };

  const controlCancel = (event: Record<string, unknown>): string[] => {
    const cancel = readControlCancel(event);
    if (!cancel) return [];
    control.push(cancel);
    return ['the CLI withdrew its request (its input ended, or it was interrupted)'];
  };

  const result = (event: Record<string, unknown>): string[] => {
    activity.progressed();
    activity.finished = true;
    control.push({ kind: 'resolved', toolUseId: null });
    finalMessage = str(event.result);
    sessionUsage = largest(sessionUsage, claudeUsage(event.usage, costUsd(event.total_cost_usd)));
    for (const denial of list(event.permission_denials).map(obj)) {
      // The CLI lists a question the user declined, or the fleet refused, as a denial: an answer, not a failure.
      if (denial.tool_name === ASK_TOOL) continue;
      const id = str(denial.tool_use_id) ?? String(denials.size);
      deny(id, `permission denied: ${str(denial.tool_name) ?? 'tool'} ${describeToolInput(denial.tool_input)}`);
    }
    const subtype = str(event.subtype) ?? 'unknown';
    if (subtype !== 'success') {
      const errors = list(event.errors).filter((item): item is string => typeof item === 'string');
      resultError = errors.length > 0 ? `${subtype}: ${errors.join('; ')}` : subtype;
    } else if (event.is_error === true) {
      resultError = oneLine(finalMessage ?? 'the CLI reported an error');
    }
    const seconds = typeof event.duration_ms === 'number' ? `, ${(event.duration_ms / 1000).toFixed(1)}s` : '';
    const reported = costUsd(event.total_cost_usd);
    const cost = reported === null ? '' : `, $${reported.toFixed(4)}`;
    return [
      `result: ${subtype}${event.is_error === true ? ' (error)' : ''}, ${String(event.num_turns ?? '?')} turns${seconds}${cost}`,
    ];
  };

  /**
   * The result's usage is the session's; before it, the messages' sum. Never less than either: a forged result
   * (see goesOn) can add to what a task spent, never take from it.
   */
  const usageSoFar = (): TaskUsage | null => {
    const messages = [...messageUsage.values()].reduce<TaskUsage | null>(
      (sum, usage) => ({
        input_tokens: (sum?.input_tokens ?? 0) + usage.input_tokens,
        output_tokens: (sum?.output_tokens ?? 0) + usage.output_tokens,
        cache_read_tokens: (sum?.cache_read_tokens ?? 0) + usage.cache_read_tokens,
        cache_write_tokens: (sum?.cache_write_tokens ?? 0) + usage.cache_write_tokens,
        cost_usd: null,
      }),
      null,
    );
    return largest(sessionUsage, messages);
  };

  const failure = (): { error: string | null; failure: FailureKind | null } => {
    const denied = denials.size > 0 ? [...denials.values()].join('; ') : null;
    const reported = resultError ?? apiError;
    const parts = [reported, denied, failures.summary()].filter((part): part is string => part !== null);
    const error = parts.length > 0 ? [...new Set(parts)].join('; ') : null;
    if (reported !== null) return { error, failure: apiError !== null ? 'provider' : errorKind(reported) };
    if (failures.kind() === 'refused') return { error, failure: 'refused' };
    return { error, failure: error === null ? null : 'tool' };
  };

  return {
    stdoutLine(line) {
      const event = parseJsonObject(line);
      if (!event) return [line];
      switch (event.type) {
        case 'system':
          return system(event);
        case 'assistant':
          return assistant(event);
        case 'user':
          return user(event);
        case 'result':
          return result(event);
        case 'control_request':
          return controlRequest(event);
        case 'control_cancel_request':
          return controlCancel(event);
        default:
          return [];
      }
    },
    summary() {
      return { final_message: finalMessage, ...failure(), usage: usageSoFar() };
    },
    activity() {
      activity.usage = usageSoFar();
      return activity.snapshot();
    },
    takeControl() {
      const taken = control;
      control = [];
      return taken;
    },
  };
}

/** Claude's `usage` (input_tokens without the cache, cache_read_input_tokens, cache_creation_input_tokens, output_tokens). */
function claudeUsage(value: unknown, cost: number | null): TaskUsage {
  const usage = obj(value);
  return {
    input_tokens: tokenCount(usage.input_tokens),
    output_tokens: tokenCount(usage.output_tokens),
    cache_read_tokens: tokenCount(usage.cache_read_input_tokens),
    cache_write_tokens: tokenCount(usage.cache_creation_input_tokens),
    cost_usd: cost,
  };
}

function largest(a: TaskUsage | null, b: TaskUsage | null): TaskUsage | null {
  if (a === null || b === null) return a ?? b;
  const cost =
    a.cost_usd === null || b.cost_usd === null ? (a.cost_usd ?? b.cost_usd) : Math.max(a.cost_usd, b.cost_usd);
  return {
    input_tokens: Math.max(a.input_tokens, b.input_tokens),
    output_tokens: Math.max(a.output_tokens, b.output_tokens),
    cache_read_tokens: Math.max(a.cache_read_tokens, b.cache_read_tokens),
    cache_write_tokens: Math.max(a.cache_write_tokens, b.cache_write_tokens),
    cost_usd: cost,
  };
}

function toolResultText(content: unknown): string {
  if (typeof content === 'string') return content;
  return list(content)
    .map(obj)
    .map((block) => str(block.text) ?? '')
    .join('\n');
}
