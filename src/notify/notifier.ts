import type { Fleet } from '../fleet/fleet-api.js';
import type { Logger } from '../log.js';
import type { NotifySettings } from './notify-config.js';
import { runNotifyCommand } from './notify-command.js';
import { ENDED_STATUSES, taskEndEvent, type TaskEndEvent } from './task-end-event.js';
import { deliverWebhook, type DeliveryOptions } from './webhook.js';

// Tasks looked at per agent change: more cannot end between two changes of its record.
const RECENT_TASKS = 5;

export interface NotifierOptions {
  fleet: Fleet;
  settings: NotifySettings;
  logger: Logger;
  baseEnv: NodeJS.ProcessEnv;
  delivery?: DeliveryOptions;
}

/**
 * Sends a notice when a task ends (completed, failed or canceled, queued ones included), once per task. Tasks that
 * had ended before the server started are not told again. Answers the function that stops listening.
 */
export function startNotifier(options: NotifierOptions): () => void {
  const { fleet, settings, logger } = options;
  if (!settings.webhook && !settings.command) return () => {};
  const told = new Set<string>();
  for (const agent of fleet.listAgents())
    for (const task of recentTasks(fleet, agent.name)) if (ENDED_STATUSES.has(task.status)) told.add(task.id);
  return fleet.onChange((change) => {
    if (change.kind !== 'state') return;
    const agent = fleet.listAgents().find((candidate) => candidate.name.toLowerCase() === change.key);
    if (!agent) return;
    for (const task of recentTasks(fleet, agent.name).reverse()) {
      if (!ENDED_STATUSES.has(task.status) || told.has(task.id)) continue;
      told.add(task.id);
      void send(options, taskEndEvent(agent, task)).catch((error: Error) =>
        logger.error({ reason: error.message }, 'notice failed'),
      );
    }
  });
}

function recentTasks(fleet: Fleet, name: string) {
  return fleet.taskHistory(name, { page: 1, pageSize: RECENT_TASKS }).items;
}

async function send(options: NotifierOptions, event: TaskEndEvent): Promise<void> {
  const { settings, logger } = options;
  const fields = { agent: event.agent, task_id: event.task.id, status: event.task.status };
  const body = JSON.stringify(event);
  await Promise.all([
    settings.webhook &&
      deliverWebhook(settings.webhook, body, options.delivery).then((result) => {
        // The URL is not logged: a webhook's path is often its secret.
        if (result.delivered) logger.debug({ ...fields, attempts: result.attempts }, 'webhook notice delivered');
        else
          logger.warn(
            { ...fields, attempts: result.attempts, reason: result.lastError },
            'webhook notice not delivered',
          );
      }),
    settings.command &&
      runNotifyCommand(settings.command, event, options.baseEnv).then((outcome) =>
        logger.debug({ ...fields, outcome }, 'notice command ran'),
      ),
  ]);
}
