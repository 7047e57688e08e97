/** The hidden command the task supervisor runs for a task on an engine (see fleet/backends/remote/engine-task.ts). */
export const ENGINE_TASK_COMMAND = '__engine-task';
