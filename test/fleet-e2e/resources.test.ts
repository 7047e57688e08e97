import { readFileSync } from 'node:fs';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import {
  ResourceListChangedNotificationSchema,
  ResourceUpdatedNotificationSchema,
} from '@modelcontextprotocol/sdk/types.js';
import { afterAll, describe, expect, it } from 'vitest';
import { FLEET_APP_URI } from '../../src/mcp/app/app-link.js';
import { connectClient } from '../helpers/mcp-client.js';
import { stopInProcessServers } from '../helpers/in-process-server.js';
import { cleanupSandboxes } from '../helpers/sandbox.js';
import { expectNoSecretInLogs } from '../helpers/secrets.js';
import { createFleetSandbox, task } from './fleet-server.js';
import { createNamedTokens, startInProcessFleetServer } from './in-process-fleet.js';

afterAll(async () => {
  await stopInProcessServers();
  expectNoSecretInLogs();
  cleanupSandboxes();
});

/** What a client was told: the URIs of resources/updated, and how many list_changed. */
function recordNotifications(client: Client): { updated: string[]; listChanged: () => number } {
  const updated: string[] = [];
  let listChanged = 0;
  client.setNotificationHandler(
    ResourceUpdatedNotificationSchema,
    (notification) => void updated.push(notification.params.uri),
  );
  client.setNotificationHandler(ResourceListChangedNotificationSchema, () => {
    listChanged += 1;
  });
  return { updated, listChanged: () => listChanged };
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('agent logs and states as MCP resources', () => {
  it('lists both for every agent, reads the log tail and the state, and offers subscriptions only in sessions', async () => {
    const fleet = createFleetSandbox();
    const { server, client, ok } = await startInProcessFleetServer(fleet);
    await ok('create_agent', { name: 'Alpha', project: 'repo', task: task({ lines: ['hello from alpha'] }) });
    await ok('wait_for_agent', { name: 'alpha', timeout_seconds: 30 });

    const { resourceTemplates } = await client.listResourceTemplates();
    expect(resourceTemplates.map((template) => template.uriTemplate).sort()).toEqual([
      'fleet://agents/{name}/log',
      'fleet://agents/{name}/state',
    ]);
    const { resources } = await client.listResources();
    expect(resources.map((resource) => resource.uri).sort()).toEqual([
      'fleet://agents/Alpha/log',
      'fleet://agents/Alpha/state',
      FLEET_APP_URI,
    ]);

    const log = (await client.readResource({ uri: 'fleet://agents/Alpha/log' })).contents[0] as {
      text: string;
      mimeType: string;
    };
    expect(log.mimeType).toBe('text/plain');
    expect(log.text).toMatch(/\[stdout\] hello from alpha\n/);
    expect(log.text.trimEnd().split('\n').at(-1)).toMatch(/\[system\] task \S+ completed$/);
    const state = (await client.readResource({ uri: 'fleet://agents/Alpha/state' })).contents[0] as { text: string };
    expect(JSON.parse(state.text)).toMatchObject({
      name: 'Alpha',
      status: 'idle',
      task_count: 1,
      last_task: { status: 'completed' },
    });
    await expect(client.readResource({ uri: 'fleet://agents/nobody/state' })).rejects.toThrow(
      /No agent named "nobody"/,
    );

    expect(client.getServerCapabilities()?.resources).toMatchObject({ subscribe: true, listChanged: true });
    expect(client.getServerCapabilities()?.tools).toEqual({ listChanged: false });
    await expect(client.subscribeResource({ uri: 'fleet://agents/nobody/log' })).rejects.toThrow(
      /No agent named "nobody"/,
    );
    await expect(client.subscribeResource({ uri: 'fleet://elsewhere' })).rejects.toThrow(/Cannot subscribe/);

    // Without a session nothing could ever be sent to the subscriber, so the request is not known there.
    const token = JSON.parse(readFileSync(fleet.sandbox.tokenFile, 'utf8')).value as string;
    const stateless = await fetch(server.mcpUrl, {
      method: 'POST',
      headers: {
        Authorization: `Bearer ${token}`,
        'Content-Type': 'application/json',
        Accept: 'application/json, text/event-stream',
      },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'resources/subscribe',
        params: { uri: 'fleet://agents/Alpha/log' },
      }),
    });
    expect(await stateless.json()).toMatchObject({ error: { code: -32601 } });
  });

  it('tells only the sessions that subscribed when a log changes, at most every few hundred ms, and every session when agents come and go', async () => {
    const fleet = createFleetSandbox();
    const reader = createNamedTokens(fleet, { reader: 'read' }).reader!;
    const { server, client, ok } = await startInProcessFleetServer(fleet);
    const other = await connectClient(server.mcpUrl, reader);
    const mine = recordNotifications(client);
    const theirs = recordNotifications(other);

    await ok('create_agent', { name: 'ticker', project: 'repo', task: task({ sleepMs: 1_500 }) });
    await expect.poll(() => [mine.listChanged(), theirs.listChanged()]).toEqual([1, 1]);
    await client.subscribeResource({ uri: 'fleet://agents/ticker/log' });
    await ok('wait_for_agent', { name: 'ticker', timeout_seconds: 30 });
    await pause(600);
    mine.updated.length = 0;

    // 30 ticks 30 ms apart: many log changes in about a second, announced a few times, never once per line.
    await ok('start_agent_task', { name: 'ticker', task: task({ ticks: { count: 30, everyMs: 30 }, sleepMs: 1_200 }) });
    await ok('wait_for_agent', { name: 'ticker', timeout_seconds: 30 });
    await expect.poll(() => mine.updated.length).toBeGreaterThanOrEqual(2);
    await pause(600);
    expect(new Set(mine.updated)).toEqual(new Set(['fleet://agents/ticker/log']));
    expect(mine.updated.length).toBeLessThan(15);
    expect(theirs.updated).toEqual([]);

    await client.unsubscribeResource({ uri: 'fleet://agents/ticker/log' });
    const before = mine.updated.length;
    await ok('start_agent_task', { name: 'ticker', task: task({ lines: ['after unsubscribe'] }) });
    await ok('wait_for_agent', { name: 'ticker', timeout_seconds: 30 });
    await pause(600);
    expect(mine.updated.length).toBe(before);

    await other.subscribeResource({ uri: 'fleet://agents/ticker/state' });
    await ok('delete_agent', { name: 'ticker' });
    await expect.poll(() => [mine.listChanged(), theirs.listChanged()]).toEqual([2, 2]);
    await expect.poll(() => theirs.updated).toContain('fleet://agents/ticker/state');
    expect(mine.updated.length).toBe(before);
    await other.close();
  });

  it('drops the subscriptions of a session when it ends, so nothing is sent to a closed session', async () => {
    const fleet = createFleetSandbox();
    const { server, ok } = await startInProcessFleetServer(fleet, { LOG_LEVEL: 'debug' });
    await ok('create_agent', { name: 'gone', project: 'repo', task: task({ lines: ['first'] }) });
    await ok('wait_for_agent', { name: 'gone', timeout_seconds: 30 });
    const token = JSON.parse(readFileSync(fleet.sandbox.tokenFile, 'utf8')).value as string;
    const leaving = await connectClient(server.mcpUrl, token);
    await leaving.subscribeResource({ uri: 'fleet://agents/gone/log' });
    await (leaving.transport as StreamableHTTPClientTransport).terminateSession();
    await leaving.close();

    await ok('start_agent_task', { name: 'gone', task: task({ lines: ['second'] }) });
    await ok('wait_for_agent', { name: 'gone', timeout_seconds: 30 });
    await pause(800);
    expect(server.output()).toContain('"tool":"start_agent_task"');
    expect(server.output()).not.toContain('resource notification not sent');
  });
});
