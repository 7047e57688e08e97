import type { OutputParser } from './index.js';
import { describeToolInput, describeToolResult, obj, oneLine, parseJsonObject, str } from './render.js';

// The tool errors opencode gives for a permission it auto-rejects in `run` mode and for one a config rule denies.
const DENIED = /rejected permission|rule which prevents you/i;

/**
 * opencode's `run --format json`: one JSON event per line (step_start, text, tool_use, step_finish, error).
 * It has no result event, so the final answer is the last text it printed. A tool call that a permission rule
 * denied or that was rejected for asking counts as an error, since the CLI still exits 0.
 */
export function createOpencodeParser(): OutputParser {
  let lastText: string | null = null;
  let sessionId: string | null = null;
  const errors: string[] = [];

  const tool = (part: Record<string, unknown>): string[] => {
    const name = str(part.tool) ?? 'tool';
    const state = obj(part.state);
    const lines = [`→ ${name}: ${describeToolInput(state.input)}`];
    if (state.status === 'error') {
      const message = str(state.error) ?? 'failed';
      if (DENIED.test(message)) errors.push(`permission denied: ${name} ${describeToolInput(state.input)}`);
      lines.push(`← error ${oneLine(message)}`);
    } else if (state.status === 'completed') {
      lines.push(`← ${describeToolResult(str(state.output) ?? '')}`);
    }
    return lines;
  };

  const error = (event: Record<string, unknown>): string[] => {
    const details = obj(event.error);
    const data = obj(details.data);
    const text = oneLine(`${str(details.name) ?? 'error'}: ${str(data.message) ?? JSON.stringify(details)}`);
    errors.push(text);
    return [text];
  };

  return {
    stdoutLine(line) {
      const event = parseJsonObject(line);
      if (!event) return [line];
      const part = obj(event.part);
      sessionId = str(event.sessionID) ?? sessionId;
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
    summary: () => ({ final_message: lastText, error: errors.length > 0 ? errors.join('; ') : null, session_id: sessionId }),
  };
}
