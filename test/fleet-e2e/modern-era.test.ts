import { readFileSync } from 'node:fs';
import type { Client } from '@modelcontextprotocol/client';
import { resultFromTaskOutcome } from '@modelcontextprotocol/ext-tasks/client';
import { afterAll, describe, expect, it } from 'vitest';
import { git } from '../fleet/helpers.js';
import { connectModernClient } from '../helpers/modern-client.js';
import { taskSession } from '../helpers/modern-tasks-client.js';
import { cleanupSandboxes } from '../helpers/sandbox.js';
import { expectNoSecretInLogs } from '../helpers/secrets.js';
import { killServers } from '../helpers/server.js';
import { createShellFleet, SHELL } from './shell-fleet.js';
import { startFleetServer } from './fleet-server.js';

afterAll(() => {
  killServers();
  expectNoSecretInLogs();
  cleanupSandboxes();
});

async function ok(client: Client, name: string, args: Record<string, unknown>): Promise<any> {
  const result = await client.callTool({ name, arguments: args });
  const text = (result.content as { type: string; text: string }[])[0]!.text;
  if (result.isError) throw new Error(`${name} failed: ${text}`);
  return JSON.parse(text);
}

/** Resolves with the first `notifications/resources/updated` for the URI. */
function updated(client: Client, uri: string): Promise<void> {
  return new Promise((resolve) => {
    client.setNotificationHandler('notifications/resources/updated', (notification) => {
      if (notification.params.uri === uri) resolve();
    });
  });
}

describe('a 2026-07-28 client drives the whole loop', () => {
  it('create → listen → wait → changes → merge → delete', async () => {
    const fleet = createShellFleet('fleet-mcp-modern', { sh: { command: SHELL, default: true } });
    const server = await startFleetServer(fleet);
    const token = JSON.parse(readFileSync(fleet.sandbox.tokenFile, 'utf8')).value as string;
    const client = await connectModernClient(server.server.mcpUrl, token, { tasks: true });

    const stateUri = 'fleet://agents/modern/state';
    const subscription = await client.listen({ resourceSubscriptions: [stateUri], resourcesListChanged: true });
    const stateChanged = updated(client, stateUri);
    const commit = "echo modern > modern.txt && git add modern.txt && git -c user.name=T -c user.email=t@t.invalid commit -q -m 'add modern'";
    await ok(client, 'create_agent', { name: 'modern', project: 'repo', task: commit });
    await stateChanged;

    const session = taskSession(client, server.server.mcpUrl, token);
    const execution = await session.callTool('wait_for_agent', { agent_name: 'modern', timeout_seconds: 30 });
    const settled = resultFromTaskOutcome((await execution.settle()).outcome) as { content: { text: string }[] };
    const waited = JSON.parse(settled.content[0]!.text);
    expect(waited.agent.last_task.status).toBe('completed');
    await session.close();
    const changes = await ok(client, 'show_agent_changes', { agent_name: 'modern' });
    expect(changes.branch.name).toBe('fleet/modern');
    await ok(client, 'merge_agent', { agent_name: 'modern', commit: changes.branch.commit });
    expect(git(fleet.repo, ['show', 'main:modern.txt'])).toBe('modern');
    await ok(client, 'delete_agent', { agent_name: 'modern' });
    await subscription.close();
    await client.close();
  });
});
