import type { OutputParser } from './index.js';
import { describeToolInput, describeToolResult, list, obj, oneLine, parseJsonObject, str } from './render.js';

/**
 * Claude Code's `--output-format stream-json --verbose`: one JSON event per line (system, assistant, user, result).
 * The result event carries the final answer; errors show as `is_error`, a non-success subtype (turn limit...),
 * API error messages and permission denials, which the CLI reports while still exiting 0.
 */
export function createClaudeParser(): OutputParser {
  let finalMessage: string | null = null;
  let resultError: string | null = null;
  let apiError: string | null = null;
  const denials = new Map<string, string>();

  const deny = (id: string, text: string): void => {
    if (!denials.has(id)) denials.set(id, text);
  };

  const system = (event: Record<string, unknown>): string[] => {
    switch (event.subtype) {
      case 'init':
        return [`claude ${str(event.claude_code_version) ?? ''} started in ${str(event.cwd) ?? '?'} (model ${str(event.model) ?? '?'}, permission mode ${str(event.permissionMode) ?? '?'})`];
      case 'api_retry':
        return [`API error ${String(event.error_status ?? '')} (${str(event.error) ?? 'unknown'}): retry ${String(event.attempt)} of ${String(event.max_retries)}`];
      case 'permission_denied': {
        const text = `permission denied: ${str(event.tool_name) ?? 'tool'}: ${oneLine(str(event.message) ?? str(event.decision_reason) ?? '')}`;
        deny(str(event.tool_use_id) ?? text, text);
        return [text];
      }
      default:
        return [];
    }
  };

  const assistant = (event: Record<string, unknown>): string[] => {
    const lines: string[] = [];
    for (const block of list(obj(event.message).content).map(obj)) {
      if (block.type === 'text' && str(block.text)) lines.push(...str(block.text)!.split('\n'));
      if (block.type === 'tool_use') lines.push(`→ ${str(block.name) ?? 'tool'}: ${describeToolInput(block.input)}`);
    }
    if (event.is_api_error_message === true || event.error !== undefined) {
      apiError = oneLine(lines.join(' ') || `API error ${String(event.error)}`);
    }
    return lines;
  };

  const user = (event: Record<string, unknown>): string[] => {
    const lines: string[] = [];
    for (const block of list(obj(event.message).content).map(obj)) {
      if (block.type !== 'tool_result') continue;
      const text = toolResultText(block.content);
      lines.push(`${block.is_error === true ? '← error' : '←'} ${describeToolResult(text)}`);
    }
    return lines;
  };

  const result = (event: Record<string, unknown>): string[] => {
    finalMessage = str(event.result);
    for (const denial of list(event.permission_denials).map(obj)) {
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
    return [`result: ${subtype}${event.is_error === true ? ' (error)' : ''}, ${String(event.num_turns ?? '?')} turns${seconds}`];
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
        default:
          return [];
      }
    },
    summary() {
      const denied = denials.size > 0 ? [...denials.values()].join('; ') : null;
      const error = [resultError ?? apiError, denied].filter((part): part is string => part !== null);
      return { final_message: finalMessage, error: error.length > 0 ? [...new Set(error)].join('; ') : null };
    },
  };
}

function toolResultText(content: unknown): string {
  if (typeof content === 'string') return content;
  return list(content)
    .map(obj)
    .map((block) => str(block.text) ?? '')
    .join('\n');
}
