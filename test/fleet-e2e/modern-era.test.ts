import type { Json } from '../helpers/json.js';
import type { Client } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { git } from '../fleet/helpers.js';
import { connectModernClient, modernOk, rawModernRequest } from '../helpers/modern-client.js';
import { httpDispatch, taskSession } from '../helpers/modern-tasks-client.js';
import { addNamedToken } from '../helpers/named-tokens.js';
import { cleanupSandboxes } from '../helpers/sandbox.js';
import { expectNoSecretInLogs } from '../helpers/secrets.js';
import { stopInProcessServers } from '../helpers/in-process-server.js';
import { createShellFleet, SHELL } from './shell-fleet.js';
import type { FleetSandbox } from './fleet-server.js';
import { startInProcessFleetServer, type InProcessFleetServer } from './in-process-fleet.js';

/** A ceiling for tests that run agents and git: a loaded machine slows each, and no fast path waits on it. */
const AGENTS_TIMEOUT = 120_000;

// One server for the file: each test has agents of its own, and the subject is the protocol, not the process.
let fleet: FleetSandbox;
let server: InProcessFleetServer;
/** A second token of the run scope, made before the server starts so it knows it from the first request. */
let other: string;

beforeAll(async () => {
  // Without autocommit what a task leaves uncommitted is still there when it is merged.
  fleet = createShellFleet('fleet-mcp-modern', {
    sh: { command: SHELL, default: true },
    manual: { command: SHELL, autocommit: false },
  });
  other = addNamedToken(fleet.sandbox, 'other', { scope: 'run' });
  server = await startInProcessFleetServer(fleet);
});

afterAll(async () => {
  await stopInProcessServers();
  expectNoSecretInLogs();
  cleanupSandboxes();
});

/** Resolves once a `notifications/resources/updated` for each URI, and `count` list changes, have arrived. */
function heard(client: Client, uris: string[], listChanges: number): Promise<void> {
  const waiting = new Set(uris);
  let changes = 0;
  return new Promise((resolve) => {
    const settled = (): void => {
      if (waiting.size === 0 && changes >= listChanges) resolve();
    };
    client.setNotificationHandler('notifications/resources/updated', (notification) => {
      waiting.delete(notification.params.uri);
      settled();
    });
    client.setNotificationHandler('notifications/resources/list_changed', () => {
      changes += 1;
      settled();
    });
  });
}

describe('a 2026-07-28 listen stream', () => {
  it(
    "carries an agent's state and log changes and the resource list's, and promises no tool list change",
    async () => {
      const client = await connectModernClient(server.server.mcpUrl, server.token);
      const stateUri = 'fleet://agents/listened/state';
      const logUri = 'fleet://agents/listened/log';
      const subscription = await client.listen({
        resourceSubscriptions: [stateUri, logUri],
        resourcesListChanged: true,
        toolsListChanged: true,
      });
      // A token's tools are fixed for its life: no tool list change is ever sent, and the acknowledgement says so.
      expect(subscription.honoredFilter).toEqual({
        resourceSubscriptions: [stateUri, logUri],
        resourcesListChanged: true,
      });

      const created = heard(client, [stateUri, logUri], 1);
      await modernOk(client, 'create_agent', { name: 'listened', project: 'repo', task: 'echo heard on the stream' });
      await created;
      await modernOk(client, 'wait_for_agent', { name: 'listened', timeout_seconds: 30 });
      const deleted = heard(client, [], 1);
      await modernOk(client, 'delete_agent', { name: 'listened' });
      await deleted;
      await subscription.close();
      await client.close();
    },
    AGENTS_TIMEOUT,
  );
});

const TASKS_CAPABILITY = { extensions: { 'io.modelcontextprotocol/tasks': {} } };

const TASKS_META = {
  'io.modelcontextprotocol/protocolVersion': '2026-07-28',
  'io.modelcontextprotocol/clientInfo': { name: 'raw', version: '1' },
  'io.modelcontextprotocol/clientCapabilities': TASKS_CAPABILITY,
};

/** One 2026-07-28 request by hand, declaring the tasks extension unless `meta` says otherwise, as `token`. */
async function raw(
  url: string,
  token: string,
  method: string,
  params: Record<string, unknown>,
  name: string,
  meta: Record<string, unknown> = TASKS_META,
): Promise<Json> {
  return rawModernRequest(url, token, { method, name, params, meta });
}

describe('2026-07-28 tasks belong to their token', () => {
  it(
    "another token cannot see or cancel a wait task; its owner cancels it, and with it the agent's task",
    async () => {
      const url = server.server.mcpUrl;
      const owner = server.token;
      await server.ok('create_agent', { name: 'sleeper', project: 'repo', task: 'sleep 600' });

      const call = await raw(
        url,
        owner,
        'tools/call',
        { name: 'wait_for_agent', arguments: { name: 'sleeper', timeout_seconds: 600 } },
        'wait_for_agent',
      );
      expect(call.result).toMatchObject({ resultType: 'task', status: 'working' });
      const { taskId } = call.result;
      expect((await raw(url, owner, 'tasks/get', { taskId }, taskId)).result).toMatchObject({
        taskId,
        status: 'working',
        resultType: 'complete',
      });

      // A plain call in flight holds its server (servers are reused between requests): the token's other requests
      // meanwhile are served by others, the call's own answer by its own.
      const client = await connectModernClient(url, owner);
      const waiting = modernOk(client, 'wait_for_agent', { name: 'sleeper', timeout_seconds: 2 });
      for (let i = 0; i < 3; i++)
        expect((await raw(url, owner, 'tasks/get', { taskId }, taskId)).result).toMatchObject({ taskId });
      expect(await waiting).toMatchObject({ timed_out: true, agent: { name: 'sleeper' } });
      await client.close();

      // The tasks methods are the extension's: a request that does not declare it gets the spec's -32021, even from the
      // task's owner.
      const undeclared = { ...TASKS_META, 'io.modelcontextprotocol/clientCapabilities': {} };
      for (const method of ['tasks/get', 'tasks/update', 'tasks/cancel']) {
        const params = method === 'tasks/update' ? { taskId, inputResponses: {} } : { taskId };
        const refused = await raw(url, owner, method, params, taskId, undeclared);
        expect(refused.error).toMatchObject({ code: -32021, data: { requiredCapabilities: TASKS_CAPABILITY } });
      }

      for (const method of ['tasks/get', 'tasks/cancel']) {
        const refused = await raw(url, other, method, { taskId }, taskId);
        expect(refused.error.message).toContain('Task not found');
      }
      expect((await server.ok('show_agent', { name: 'sleeper' })).status).toBe('busy');

      // No task here ever asks for input: the owner's tasks/update is acknowledged and leaves it working; another
      // token's is refused as for a task it cannot see.
      const answer = { asked: { action: 'accept' as const, content: { confirm: true } } };
      const ownerClient = await connectModernClient(url, owner, { tasks: true });
      const ownerTask = taskSession(ownerClient, url, httpDispatch(url, owner)).task(taskId);
      await ownerTask.update(answer);
      expect((await ownerTask.snapshot()).status).toBe('working');
      const otherClient = await connectModernClient(url, other, { tasks: true });
      const otherTask = taskSession(otherClient, url, httpDispatch(url, other)).task(taskId);
      await expect(otherTask.update(answer)).rejects.toThrow('Task not found');
      await Promise.all([ownerClient.close(), otherClient.close()]);

      expect((await raw(url, owner, 'tasks/cancel', { taskId }, taskId)).result).toMatchObject({
        resultType: 'complete',
      });
      expect((await raw(url, owner, 'tasks/get', { taskId }, taskId)).result).toMatchObject({ status: 'cancelled' });
      expect((await server.ok('show_agent', { name: 'sleeper' })).last_task.status).toBe('canceled');
    },
    AGENTS_TIMEOUT,
  );
});

const COMMIT = "echo x > x.txt && git add x.txt && git -c user.name=T -c user.email=t@t.invalid commit -q -m 'add x'";

describe('2026-07-28 confirmations', () => {
  it(
    "delete_agent and merge_agent ask the client's user, and do what they answer",
    async () => {
      const token = server.token;
      const questions: string[] = [];
      let answer = false;
      const client = await connectModernClient(server.server.mcpUrl, token, {
        confirms: (message) => {
          questions.push(message);
          return answer;
        },
      });
      const work =
        "echo kept > kept.txt && git add kept.txt && git -c user.name=T -c user.email=t@t.invalid commit -q -m 'add kept' && echo loose > loose.txt";
      await server.ok('create_agent', { name: 'asker', project: 'repo', role: 'manual', task: work });
      await server.ok('wait_for_agent', { name: 'asker', timeout_seconds: 30 });

      // Unlanded work: a no keeps the agent, a yes deletes it with force.
      const refused = await client.callTool({ name: 'delete_agent', arguments: { name: 'asker' } });
      expect(refused.isError).toBe(true);
      expect(JSON.stringify(refused.content)).toContain('Not done: the user declined');
      expect(questions.pop()).toMatch(
        /1 uncommitted file\(s\).*1 commit\(s\) on fleet\/asker not in its base.*Delete agent "asker" anyway\?/,
      );
      expect((await server.ok('show_agent', { name: 'asker' })).name).toBe('asker');

      // The files it left uncommitted: a no refuses the merge, a yes commits and lands them.
      const declined = await client.callTool({ name: 'merge_agent', arguments: { name: 'asker' } });
      expect(JSON.stringify(declined.content)).toContain('Not done: the user declined');
      expect(questions.pop()).toMatch(
        /left 1 file\(s\) uncommitted: loose\.txt.*Commit them and merge agent "asker"\?/,
      );
      expect(() => git(fleet.repo, ['show', 'main:kept.txt'])).toThrow();
      answer = true;
      const merged = await modernOk(client, 'merge_agent', { name: 'asker' });
      expect(merged).toMatchObject({ outcome: 'merged', leftovers_committed: { files: ['loose.txt'] } });
      expect(git(fleet.repo, ['show', 'main:loose.txt'])).toBe('loose');

      // Landed now: nothing to confirm.
      const count = questions.length;
      await modernOk(client, 'delete_agent', { name: 'asker' });
      expect(questions.length).toBe(count);

      await server.ok('create_agent', { name: 'dropped', project: 'repo', role: 'manual', task: COMMIT });
      await server.ok('wait_for_agent', { name: 'dropped', timeout_seconds: 30 });
      const deleted = await modernOk(client, 'delete_agent', { name: 'dropped' });
      expect(deleted).toMatchObject({ status: 'deleted', forced_past: expect.stringContaining('1 commit') });
      expect(questions.pop()).toContain('Delete agent "dropped" anyway?');
      await client.close();
    },
    AGENTS_TIMEOUT,
  );
});
