import { needsSessionId } from '../roles.js';
import type { Role, TaskRecord } from '../types.js';

export interface ConversationPlan {
  /** The argv template the task runs with. */
  template: readonly string[];
  continued: boolean;
  /** The session id `{session_id}` stands for, when the task continues by id. */
  sessionId: string | null;
  /** A line for the task's log saying which conversation it runs in and why. */
  note: string;
}

/**
 * Whether a task continues the agent's previous conversation: only when the caller did not ask for a fresh one,
 * the role has a continue_command, and an earlier task of the agent really ran (and, for a continue_command that
 * resumes by id, reported its session id). Otherwise the role's command starts a fresh conversation.
 */
export function planConversation(role: Role, tasks: readonly TaskRecord[], task: TaskRecord): ConversationPlan {
  const fresh = (note: string): ConversationPlan => ({
    template: role.command,
    continued: false,
    sessionId: null,
    note,
  });
  if (task.fresh_conversation) return fresh('fresh conversation, as asked');
  if (!role.continue_command) return fresh(`fresh conversation: role "${role.name}" has no continue_command`);
  const previous = tasks
    .slice(0, tasks.indexOf(task))
    .filter((earlier) => earlier.started_at !== null)
    .at(-1);
  if (!previous) return fresh('fresh conversation: the agent has run no task before');
  if (!needsSessionId(role.continue_command)) {
    return {
      template: role.continue_command,
      continued: true,
      sessionId: null,
      note: `continuing the conversation of task ${previous.id}`,
    };
  }
  if (!previous.session_id) return fresh(`fresh conversation: task ${previous.id} reported no session id to continue`);
  return {
    template: role.continue_command,
    continued: true,
    sessionId: previous.session_id,
    note: `continuing session ${previous.session_id} of task ${previous.id}`,
  };
}
