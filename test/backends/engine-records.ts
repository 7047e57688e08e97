import { LABELS } from '../../src/fleet/backends/remote/agent-runtime.js';
import type { EngineClient } from '../../src/fleet/backends/container/engine-client.js';

const byServer = (server: string) => JSON.stringify({ label: [`${LABELS.server}=${server}`] });

/** The container's whole record as `docker inspect` shows it, and its image's. */
export async function containerRecords(client: EngineClient, id: string): Promise<string> {
  const container = await client.json<{ Image: string }>('GET', `/containers/${id}/json`);
  const image = await client.json('GET', `/images/${encodeURIComponent(container.body.Image)}/json`);
  return JSON.stringify([container.body, image.body]);
}

export async function containerLeftovers(client: EngineClient, server: string): Promise<unknown[]> {
  return (await client.json<unknown[]>('GET', '/containers/json', { query: { all: 1, filters: byServer(server) } }))
    .body;
}

/** The service, its tasks and their containers as the engine records them. */
export async function serviceRecords(client: EngineClient, id: string): Promise<string> {
  const service = await client.json('GET', `/services/${id}`);
  const tasks = await client.json<{ Status: { ContainerStatus?: { ContainerID?: string } } }[]>('GET', '/tasks', {
    query: { filters: JSON.stringify({ service: [id] }) },
  });
  const containers = [];
  for (const task of tasks.body) {
    const containerId = task.Status.ContainerStatus?.ContainerID;
    if (containerId)
      containers.push((await client.json('GET', `/containers/${containerId}/json`, { accept: [404] })).body);
  }
  return JSON.stringify([service.body, tasks.body, containers]);
}

export async function swarmLeftovers(client: EngineClient, server: string): Promise<unknown[]> {
  const query = { filters: byServer(server) };
  const services = (await client.json<unknown[]>('GET', '/services', { query })).body;
  const secrets = (await client.json<unknown[]>('GET', '/secrets', { query })).body;
  return [...services, ...secrets, ...(await containerLeftovers(client, server))];
}
