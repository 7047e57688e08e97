import type { FleetLogger } from '../../logger.js';
import type { EngineSettings } from './engine-launch.js';

/**
 * Removes what the engines still hold for this server's tasks that no longer run (their removal failed, or was cut
 * short by the server's end), found by the server's label; a running task's are left to the server that follows
 * it, asked as each is found, so a task started meanwhile is one of them. An engine that does not answer is logged and skipped: the next start tries again.
 */
export async function cleanupEngines(
  settings: EngineSettings,
  running: (task: string) => boolean,
  logger: FleetLogger,
): Promise<void> {
  for (const name of Object.keys(settings.backends)) {
    await removeTasks(settings, name, (task) => !running(task), logger);
  }
}

/** How long a task's end waits on its engine's removal; one that does not answer by then is left to the next start. */
const TASK_CLEANUP_WAIT_MS = 90_000;

/**
 * Removes what the engine still holds for one task that has ended, as its end is recorded, whether the task ran out,
 * was stopped, or was lost; an engine that does not answer in time leaves it to the next start.
 */
export async function cleanupEngineTask(
  settings: EngineSettings,
  backendName: string,
  task: string,
  logger: FleetLogger,
): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const waited = new Promise<'waited'>((resolve) => {
    timer = setTimeout(() => resolve('waited'), TASK_CLEANUP_WAIT_MS).unref();
  });
  const removal = removeTasks(settings, backendName, (candidate) => candidate === task, logger);
  if ((await Promise.race([removal, waited])) === 'waited')
    logger.warn(
      { backend: backendName, task },
      'the engine did not remove what it holds for an ended task in time; the next start removes it',
    );
  clearTimeout(timer);
}

async function removeTasks(
  settings: EngineSettings,
  name: string,
  ended: (task: string) => boolean,
  logger: FleetLogger,
): Promise<void> {
  const backend = settings.backends[name];
  if (!backend) return;
  try {
    const runtime = await settings.runtime({ ...backend, name });
    for (const handle of await runtime.find(settings.serverId)) {
      if (!ended(handle.labels.task)) continue;
      await handle.remove();
      logger.info(
        { backend: name, agent: handle.labels.agent, task: handle.labels.task, id: handle.id },
        'removed what an engine held for a task that no longer runs',
      );
    }
  } catch (error) {
    logger.warn(
      { backend: name, error: (error as Error).message },
      'could not remove what an engine holds for ended tasks; the next start tries again',
    );
  }
}
