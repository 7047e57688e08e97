import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { TASKS_EXTENSION_ID_V2 } from '@modelcontextprotocol/ext-tasks/core/v2';
import { resultFromTaskOutcome, type TaskEnabledSession } from '@modelcontextprotocol/ext-tasks/client';
import { afterAll, describe, expect, it } from 'vitest';
import { git } from '../fleet/helpers.js';
import { CLI } from '../helpers/cli.js';
import { connectModernClient, modernOk } from '../helpers/modern-client.js';
import { httpDispatch, transportDispatch, taskSession } from '../helpers/modern-tasks-client.js';
import { cleanupSandboxes } from '../helpers/sandbox.js';
import { captureLog, expectNoSecretInLogs } from '../helpers/secrets.js';
import { killServers, startServer } from '../helpers/server.js';
import { killHost } from '../helpers/stdio-client.js';
import { fleetServerEnv, fleetServerToken, type FleetSandbox } from './fleet-server.js';
import { createShellFleet, SHELL } from './shell-fleet.js';

/** A ceiling for tests that run agents and git: a loaded machine slows each, and no fast path waits on it. */
const AGENTS_TIMEOUT = 120_000;

const dataDirs: string[] = [];

afterAll(() => {
  killServers();
  dataDirs.forEach(killHost);
  expectNoSecretInLogs();
  cleanupSandboxes();
});

function shellFleet(prefix: string): FleetSandbox {
  const fleet = createShellFleet(prefix, { sh: { command: SHELL, default: true } });
  dataDirs.push(fleet.dataDir);
  return fleet;
}

const commit = (file: string): string =>
  `echo ${file} > ${file}.txt && git add ${file}.txt && git -c user.name=T -c user.email=t@t.invalid commit -q -m 'add ${file}'`;

/** create → wait as a task → changes → merge → delete, each step checked by what it left in the repo. */
async function loop(fleet: FleetSandbox, client: Client, session: TaskEnabledSession, name: string): Promise<void> {
  await modernOk(client, 'create_agent', { name, project: 'repo', task: commit(name) });
  const execution = await session.callTool('wait_for_agent', { name, timeout_seconds: 60 });
  expect(execution.kind).toBe('task');
  const settled = resultFromTaskOutcome((await execution.settle()).outcome) as { content: { text: string }[] };
  expect(JSON.parse(settled.content[0]!.text).agent.last_task.status).toBe('completed');
  const changes = await modernOk(client, 'show_agent_changes', { name });
  expect(changes.branch.name).toBe(`fleet/${name}`);
  await modernOk(client, 'merge_agent', { name, commit: changes.branch.commit });
  expect(git(fleet.repo, ['show', `main:${name}.txt`])).toBe(name);
  await modernOk(client, 'delete_agent', { name });
  expect(git(fleet.repo, ['branch', '--list', `fleet/${name}`])).toBe('');
}

describe('a 2026-07-28 client drives the whole loop against the server process', () => {
  it(
    'over HTTP and over stdio, waiting as an io.modelcontextprotocol/tasks task',
    async () => {
      const fleet = shellFleet('fleet-mcp-modern-loop');
      const env = fleetServerEnv(fleet, {});
      const server = await startServer(fleet.sandbox, { env });
      const token = fleetServerToken(fleet, {});
      const http = await connectModernClient(server.mcpUrl, token, { tasks: true });
      const overHttp = taskSession(http, server.mcpUrl, httpDispatch(server.mcpUrl, token));
      await loop(fleet, http, overHttp, 'over-http');
      await overHttp.close();
      await http.close();
      await server.stop();

      const transport = new StdioClientTransport({
        command: process.execPath,
        args: [CLI, 'stdio'],
        cwd: fleet.plain,
        env: Object.fromEntries(
          Object.entries({ ...fleet.sandbox.env, ...env }).filter((entry): entry is [string, string] => !!entry[1]),
        ),
        stderr: 'pipe',
      });
      let stderr = '';
      transport.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      captureLog('modern stdio client (stderr)', () => stderr);
      const stdio = new Client(
        { name: 'fleet-mcp-test', version: '1.0.0' },
        {
          capabilities: { extensions: { [TASKS_EXTENSION_ID_V2]: {} } },
          versionNegotiation: { mode: { pin: '2026-07-28' } },
        },
      );
      await stdio.connect(transport);
      const overStdio = taskSession(stdio, 'stdio', transportDispatch(transport));
      await loop(fleet, stdio, overStdio, 'over-stdio');
      await overStdio.close();
      await stdio.close();
    },
    AGENTS_TIMEOUT,
  );
});
