import type { FleetLogger } from '../../logger.js';
import type { EngineSettings } from './engine-launch.js';

/**
 * Removes what the engines still hold for this server's tasks that no longer run (their relay ended before it could
 * remove them, or the server was gone when they ended), found by the server's label; a running task's are left to
 * its relay. An engine that does not answer is logged and skipped: the next start tries again.
 */
export async function cleanupEngines(
  settings: EngineSettings,
  running: ReadonlySet<string>,
  logger: FleetLogger,
): Promise<void> {
  for (const name of Object.keys(settings.backends)) {
    await removeTasks(settings, name, (task) => !running.has(task), logger);
  }
}

/**
 * Removes what the engine still holds for one task that has ended. Its relay removes it first, unless the relay was
 * killed, or ended with a server that was down: the container would run on, unfollowed, until the next start.
 */
export async function cleanupEngineTask(
  settings: EngineSettings,
  backendName: string,
  task: string,
  logger: FleetLogger,
): Promise<void> {
  await removeTasks(settings, backendName, (candidate) => candidate === task, logger);
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
