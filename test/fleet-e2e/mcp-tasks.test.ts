import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Json } from '../helpers/json.js';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { CallToolResultSchema, CreateTaskResultSchema, type Task } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TASK_TOOL_NAMES } from '../../src/mcp/fleet-tools.js';
import { stopInProcessServers } from '../helpers/in-process-server.js';
import { cleanupSandboxes } from '../helpers/sandbox.js';
import { expectNoSecretInLogs } from '../helpers/secrets.js';
import { connectFleetClient, createFleetSandbox, task } from './fleet-server.js';
import { createNamedTokens, startInProcessFleetServer, type InProcessFleetServer } from './in-process-fleet.js';

/** The server's MCP endpoint. */
interface Endpoint {
  mcpUrl: string;
}

// One server for the file. Tasks belong to the token that made them, so each test that counts tasks has a token
// of its own; the agents differ by name.
let server: Endpoint;
let fleetServer: InProcessFleetServer;
let ok: InProcessFleetServer['ok'];
let tokens: Record<string, string>;
/** Where the tests make the files their agents wait on. */
let gates: string;

beforeAll(async () => {
  const fleet = createFleetSandbox();
  gates = fleet.sandbox.root;
  tokens = createNamedTokens(fleet, { offered: 'run', lead: 'run', reader: 'read', brief: 'run', plain: 'run' });
  fleetServer = await startInProcessFleetServer(fleet);
  server = fleetServer.server;
  ok = fleetServer.ok;
});

afterAll(async () => {
  await stopInProcessServers();
  expectNoSecretInLogs();
  cleanupSandboxes();
});

/** The real SDK client, declaring the tasks capability, in a session of its own. */
async function tasksClient(server: Endpoint, token: string): Promise<Client> {
  const transport = new StreamableHTTPClientTransport(new URL(server.mcpUrl), {
    requestInit: { headers: { Authorization: `Bearer ${token}` } },
  });
  const client = new Client(
    { name: 'fleet-mcp-tasks-test', version: '1.0.0' },
    { capabilities: { tasks: { list: {}, cancel: {} } } },
  );
  await client.connect(transport);
  return client;
}

async function startWaitTask(
  client: Client,
  agent: string,
  extra: { ttl?: number; timeout_seconds?: number } = {},
): Promise<Task> {
  const created = await client.request(
    {
      method: 'tools/call',
      params: {
        name: 'wait_for_agent',
        arguments: { name: agent, timeout_seconds: extra.timeout_seconds ?? 300 },
        task: extra.ttl ? { ttl: extra.ttl } : {},
      },
    },
    CreateTaskResultSchema,
  );
  return created.task;
}

interface RpcAnswer {
  result?: Json;
  error?: { code: number; message: string };
}

/** One JSON-RPC request without a session: the stateless mode, served by a fresh MCP server each time. */
async function stateless(server: Endpoint, token: string, method: string, params: object): Promise<RpcAnswer> {
  const response = await fetch(server.mcpUrl, {
    method: 'POST',
    headers: {
      Authorization: `Bearer ${token}`,
      'Content-Type': 'application/json',
      Accept: 'application/json, text/event-stream',
    },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
  });
  expect(response.status).toBe(200);
  expect(response.headers.get('mcp-session-id')).toBeNull();
  return (await response.json()) as RpcAnswer;
}

function answerOf(result: unknown): Json {
  return JSON.parse((result as { content: { text: string }[] }).content[0]!.text);
}

describe('wait_for_agent as an MCP task', () => {
  it('is offered as a task, reports the agent through tasks/get, and gives the outcome through tasks/result', async () => {
    const client = await tasksClient(server, tokens.offered!);
    expect(client.getServerCapabilities()?.tasks).toMatchObject({
      list: {},
      cancel: {},
      requests: { tools: { call: {} } },
    });
    const { tools } = await client.listTools();
    expect(tools.find((tool) => tool.name === 'wait_for_agent')?.execution).toEqual({ taskSupport: 'optional' });
    const taskTools = tools
      .filter((tool) => (tool.execution?.taskSupport ?? 'forbidden') !== 'forbidden')
      .map((tool) => tool.name);
    expect(taskTools).toEqual(TASK_TOOL_NAMES);

    // A task asked of a tool that does not run as one is refused before the tool runs: no agent is made.
    const refused = client.request(
      {
        method: 'tools/call',
        params: { name: 'create_agent', arguments: { name: 'early', project: 'repo', task: task({}) }, task: {} },
      },
      CreateTaskResultSchema,
    );
    await expect(refused).rejects.toThrow(/-32601.*"create_agent" does not run as a task/);
    expect(await fleetServer.fails('show_agent', { name: 'early' })).toContain('early');

    // The task ends when the test makes this file, once tasks/get has shown it working: however slow the machine.
    const go = join(gates, 'worker-go');
    await ok('create_agent', {
      name: 'worker',
      project: 'repo',
      task: task({ lines: ['halfway there'], waitForFile: go }),
    });
    const created = await startWaitTask(client, 'worker');
    expect(created).toMatchObject({ status: 'working', pollInterval: 2000 });
    // tasks/result asked for while the task works answers once it has ended.
    const early = client.experimental.tasks.getTaskResult(created.taskId, CallToolResultSchema);

    const seen: Task[] = [];
    await expect
      .poll(
        async () => {
          const current = await client.experimental.tasks.getTask(created.taskId);
          seen.push(current);
          if (current.status === 'working' && current.statusMessage?.startsWith('worker is busy'))
            writeFileSync(go, '');
          return current.status;
        },
        { timeout: 30_000, interval: 500 },
      )
      .toBe('completed');
    expect(
      seen.some((current) => current.status === 'working' && current.statusMessage?.startsWith('worker is busy')),
    ).toBe(true);
    expect(seen.at(-1)!.statusMessage).toContain('its last task completed');

    const result = await client.experimental.tasks.getTaskResult(created.taskId, CallToolResultSchema);
    expect(result.isError).not.toBe(true);
    expect(answerOf(result)).toMatchObject({
      timed_out: false,
      agent: { name: 'worker', status: 'idle', last_task: { status: 'completed' } },
    });
    expect(await early).toEqual(result);
    expect((await client.experimental.tasks.listTasks()).tasks.map((listed) => listed.taskId)).toContain(
      created.taskId,
    );

    // The SDK's own helper makes a task of the call by itself, since tools/list marks the tool, and polls it to the end.
    const kinds: string[] = [];
    let streamed: unknown;
    for await (const message of client.experimental.tasks.callToolStream({
      name: 'wait_for_agent',
      arguments: { name: 'worker', timeout_seconds: 10 },
    })) {
      kinds.push(message.type);
      if (message.type === 'result') streamed = message.result;
    }
    expect(kinds[0]).toBe('taskCreated');
    expect(kinds.at(-1)).toBe('result');
    expect(answerOf(streamed)).toMatchObject({ timed_out: false, agent: { name: 'worker', status: 'idle' } });
    expect((await client.experimental.tasks.listTasks()).tasks).toHaveLength(2);

    const missing = await startWaitTask(client, 'nobody');
    await expect
      .poll(() => client.experimental.tasks.getTask(missing.taskId).then((current) => current.status))
      .toBe('failed');
    expect((await client.experimental.tasks.getTask(missing.taskId)).statusMessage).toContain('nobody');
    expect(await client.experimental.tasks.getTaskResult(missing.taskId, CallToolResultSchema)).toMatchObject({
      isError: true,
    });
    await client.close();
  });

  it('keeps a task between stateless requests for the token that made it, and for no other token', async () => {
    const shared = fleetServer.token;
    const lead = tokens.lead!;
    await ok('create_agent', { name: 'sleeper', project: 'repo', task: task({ sleepMs: 60_000 }) });

    const created = await stateless(server, shared, 'tools/call', {
      name: 'wait_for_agent',
      arguments: { name: 'sleeper', timeout_seconds: 300 },
      task: {},
    });
    const taskId: string = created.result.task.taskId;
    expect(created.result.task.status).toBe('working');

    // A later stateless request, and a session, of the same token find it.
    expect((await stateless(server, shared, 'tasks/get', { taskId })).result).toMatchObject({
      taskId,
      status: 'working',
    });
    const sharedClient = await tasksClient(server, shared);
    expect((await sharedClient.experimental.tasks.listTasks()).tasks.map((listed) => listed.taskId)).toContain(taskId);

    // Another token, even one allowed to cancel, cannot see, read, or cancel it.
    for (const method of ['tasks/get', 'tasks/result', 'tasks/cancel']) {
      const answer = await stateless(server, lead, method, { taskId });
      expect(answer.error, method).toMatchObject({ code: -32602 });
      expect(answer.error!.message).toContain('Task not found');
    }
    expect((await stateless(server, lead, 'tasks/list', {})).result.tasks).toEqual([]);
    const leadClient = await tasksClient(server, lead);
    await expect(leadClient.experimental.tasks.getTask(taskId)).rejects.toThrow(/Task not found/);
    expect((await ok('show_agent', { name: 'sleeper' })).status).toBe('busy');

    const cancelled = await stateless(server, shared, 'tasks/cancel', { taskId });
    expect(cancelled.result).toMatchObject({ taskId, status: 'cancelled' });
    await Promise.all([sharedClient.close(), leadClient.close()]);
  });

  it('tasks/cancel cancels the agent task, and its result says so', async () => {
    const client = await tasksClient(server, fleetServer.token);
    await ok('create_agent', { name: 'longrun', project: 'repo', task: task({ sleepMs: 120_000 }) });
    const created = await startWaitTask(client, 'longrun');

    const cancelled = await client.experimental.tasks.cancelTask(created.taskId);
    expect(cancelled).toMatchObject({ taskId: created.taskId, status: 'cancelled' });
    expect(cancelled.statusMessage).toContain("and with it the agent's task");
    expect(await ok('show_agent', { name: 'longrun' })).toMatchObject({
      status: 'idle',
      last_task: { status: 'canceled' },
    });
    expect((await client.experimental.tasks.getTask(created.taskId)).status).toBe('cancelled');
    const result = await client.experimental.tasks.getTaskResult(created.taskId, CallToolResultSchema);
    expect(answerOf(result)).toMatchObject({
      timed_out: false,
      agent: { status: 'idle', last_task: { status: 'canceled' } },
    });
    await expect(client.experimental.tasks.cancelTask(created.taskId)).rejects.toThrow(/already cancelled/);
    await client.close();
  });

  it('lets a read-scope token wait as a task but not cancel', async () => {
    const reader = tokens.reader!;
    await ok('create_agent', { name: 'steady', project: 'repo', task: task({ sleepMs: 60_000 }) });
    const client = await tasksClient(server, reader);
    expect(client.getServerCapabilities()?.tasks).not.toHaveProperty('cancel');
    const created = await startWaitTask(client, 'steady');

    await expect(client.experimental.tasks.cancelTask(created.taskId)).rejects.toThrow(
      /tasks\/cancel needs the "run" scope/,
    );
    const stillWorking = await client.experimental.tasks.getTask(created.taskId);
    expect(stillWorking.status).toBe('working');
    expect(stillWorking.statusMessage).toContain('steady is busy');
    expect((await ok('show_agent', { name: 'steady' })).status).toBe('busy');
    await ok('cancel_agent_task', { name: 'steady' });
    await client.close();
  });

  it('drops a task once its ttl has passed', async () => {
    const client = await tasksClient(server, tokens.brief!);
    await ok('create_agent', { name: 'brief', project: 'repo', task: task({}) });
    await ok('wait_for_agent', { name: 'brief', timeout_seconds: 30 });
    const created = await startWaitTask(client, 'brief', { ttl: 1500 });
    expect(created.ttl).toBe(1500);
    await expect
      .poll(() => client.experimental.tasks.getTask(created.taskId).then((current) => current.status))
      .toBe('completed');
    await expect
      .poll(
        () =>
          client.experimental.tasks.getTask(created.taskId).then(
            () => 'found',
            (error: Error) => error.message,
          ),
        { timeout: 10_000 },
      )
      .toContain('Task not found');
    expect((await client.experimental.tasks.listTasks()).tasks).toEqual([]);
    await client.close();
  });

  it('answers a call that asks for no task as before: in the call, with progress, and leaves no task behind', async () => {
    const { client } = await connectFleetClient(server.mcpUrl, tokens.plain!);
    // The task ends when the test makes this file, once the call has told it busy: however slow the machine.
    const go = join(gates, 'plain-go');
    await ok('create_agent', { name: 'plain', project: 'repo', task: task({ lines: ['on my way'], waitForFile: go }) });
    const progress: string[] = [];
    const result = await client.callTool(
      { name: 'wait_for_agent', arguments: { name: 'plain', timeout_seconds: 60 } },
      undefined,
      {
        onprogress: (event) => {
          progress.push(event.message ?? '');
          if (event.message?.startsWith('plain is busy')) writeFileSync(go, '');
        },
      },
    );
    expect(answerOf(result)).toMatchObject({
      timed_out: false,
      agent: { status: 'idle', last_task: { status: 'completed' } },
    });
    expect(progress.some((message) => message.startsWith('plain is busy'))).toBe(true);
    expect((await client.experimental.tasks.listTasks()).tasks).toEqual([]);

    const bad = await client.callTool({ name: 'wait_for_agent', arguments: { name: 'nobody' } });
    expect(bad.isError).toBe(true);
    expect((bad.content as { text: string }[])[0]!.text).toContain('nobody');
    const statelessAnswer = await stateless(server, tokens.plain!, 'tools/call', {
      name: 'wait_for_agent',
      arguments: { name: 'plain', timeout_seconds: 1 },
    });
    expect(answerOf(statelessAnswer.result)).toMatchObject({ timed_out: false, agent: { name: 'plain' } });
    expect((await stateless(server, tokens.plain!, 'tasks/list', {})).result.tasks).toEqual([]);
  });
});
