import { TASK_PLACEHOLDER } from '../../roles.js';

/**
 * Claude Code asks its user (AskUserQuestion) only when its permission prompts go to the host: with
 * `--input-format=stream-json --permission-prompt-tool=stdio` it reads the task as the first line of its stdin and
 * prints each prompt as a `control_request` line, which a `control_response` line on its stdin answers. Plan mode
 * is taken away: its ExitPlanMode would wait on the host for an approval nobody gives.
 */
const STDIN_OPTIONS = [
  '--input-format=stream-json',
  '--permission-prompt-tool=stdio',
  '--disallowedTools=EnterPlanMode,ExitPlanMode',
];

/**
 * The preset's argv template with the task read from stdin instead of after `--`; null for a template not of that
 * shape (`… -- {task}`), which then runs as written.
 */
export function stdinTemplate(template: readonly string[]): string[] | null {
  const n = template.length;
  if (n < 3 || template[n - 2] !== '--' || template[n - 1] !== TASK_PLACEHOLDER) return null;
  if (template.slice(0, n - 2).some((arg) => arg.includes(TASK_PLACEHOLDER))) return null;
  return [...template.slice(0, n - 2), ...STDIN_OPTIONS];
}

/** The first stdin line: the task, as the user's message. */
export function taskLine(task: string): string {
  return `${JSON.stringify({
    type: 'user',
    message: { role: 'user', content: task },
    parent_tool_use_id: null,
    session_id: '',
  })}\n`;
}

/** A permission decision for control request `requestId`: allow with the tool's input, or deny with a message. */
export type ControlDecision =
  | { behavior: 'allow'; updatedInput: Record<string, unknown> }
  | { behavior: 'deny'; message: string };

/** The stdin line that refuses control request `requestId` as one the host does not take (not a permission prompt). */
export function controlErrorLine(requestId: string, error: string): string {
  return `${JSON.stringify({ type: 'control_response', response: { subtype: 'error', request_id: requestId, error } })}\n`;
}

/** The stdin line that answers control request `requestId`. */
export function controlResponseLine(requestId: string, decision: ControlDecision): string {
  return `${JSON.stringify({
    type: 'control_response',
    response: { subtype: 'success', request_id: requestId, response: decision },
  })}\n`;
}
