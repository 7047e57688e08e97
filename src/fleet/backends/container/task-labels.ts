import { LABELS, type TaskLabels } from '../remote/agent-runtime.js';

/** The engine labels for a task. */
export function labelsFor(labels: TaskLabels): Record<string, string> {
  return { [LABELS.server]: labels.server, [LABELS.agent]: labels.agent, [LABELS.task]: labels.task };
}

/** The task's labels read back from an engine object, or null when they are not all there. */
export function labelsFrom(record: Record<string, string> | null | undefined): TaskLabels | null {
  const server = record?.[LABELS.server];
  const agent = record?.[LABELS.agent];
  const task = record?.[LABELS.task];
  return server && agent && task ? { server, agent, task } : null;
}

/** A `filters` query value selecting by one label. */
export function labelFilter(key: string, value: string): string {
  return JSON.stringify({ label: [`${key}=${value}`] });
}
