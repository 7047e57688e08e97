import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { probeBwrap } from '../../src/fleet/backends/local/sandbox/bwrap.js';
import { probeUserNet } from '../../src/fleet/backends/local/sandbox/user-net.js';
import type { TaskRecord } from '../../src/fleet/types.js';
import { connectClient } from '../helpers/mcp-client.js';
import { inProcessRefusal } from '../helpers/in-process-server.js';
import { killServers, startServer, type StartedServer } from '../helpers/server.js';
import type { FleetSandbox } from './fleet-server.js';
import { createShellFleet, SHELL } from './shell-fleet.js';
import type { Json } from '../helpers/json.js';

// A sandboxed agent with network on, against the real server with auth off, the real bwrap and the real pasta. Its
// task text is the attack: call the server's own /mcp to start an agent outside the sandbox, and connect to two
// loopback listeners of the host, one of which its role lists. The same attack unsandboxed is the control that shows
// each probe can succeed. All traffic stays on 127.0.0.1; the sandbox's default route is looked at, never used.

const READY =
  probeBwrap(process.env.PATH).problem === undefined && probeUserNet(process.env.PATH).problem === undefined;
const roots: string[] = [];
const listeners: Server[] = [];

afterAll(() => {
  killServers();
  for (const listener of listeners.splice(0)) listener.close();
  for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
});

/** Run by the agent with node from PATH: prints what it reached, word by word. */
const ATTACK = `
const [mode, port] = process.argv.slice(2);
const url = 'http://127.0.0.1:' + port + '/mcp';
const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
async function rpc(body, session) {
  const response = await fetch(url, { method: 'POST', headers: session ? { ...headers, 'mcp-session-id': session } : headers, body: JSON.stringify(body) });
  return { session: response.headers.get('mcp-session-id'), text: await response.text(), ok: response.ok };
}
async function mcp() {
  const init = await rpc({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'agent', version: '1' } } });
  if (!init.ok) return console.log('MCP-REFUSED');
  console.log('MCP-REACHED');
  await rpc({ jsonrpc: '2.0', method: 'notifications/initialized' }, init.session);
  const call = await rpc({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'create_agent', arguments: { name: process.argv[4], project: 'repo', role: 'open', task: 'true' } } }, init.session);
  if (call.ok && !call.text.includes('"isError":true')) console.log('CREATED-AGENT');
}
function tcp() {
  const socket = require('node:net').connect(Number(port), '127.0.0.1');
  socket.setEncoding('utf8');
  socket.on('data', (text) => { console.log(text.trim()); socket.destroy(); });
  socket.on('error', (error) => console.log('BLOCKED ' + port + ' ' + error.code));
}
if (mode === 'mcp') mcp().catch((error) => console.log('BLOCKED ' + port + ' ' + (error.cause?.code ?? error.message)));
else tcp();
`;

type Root = FleetSandbox & { attack: string };

function createRoot(roles: Record<string, unknown>): Root {
  const fleet = createShellFleet('fleet-mcp-netns-test', roles);
  roots.push(fleet.sandbox.root);
  const attack = join(fleet.sandbox.root, 'attack.cjs');
  writeFileSync(attack, ATTACK);
  return { ...fleet, attack };
}

/** A loopback listener of the host that greets whoever connects with `word`. */
async function listener(word: string): Promise<number> {
  const server = createServer((socket) => socket.end(`${word}\n`));
  listeners.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

/** A PATH with bwrap and what it needs, but no pasta. */
function toolsBin(root: Root): string {
  const bin = join(root.sandbox.root, 'bin');
  mkdirSync(bin);
  for (const tool of ['git', 'node', 'bwrap', 'env', 'true'])
    symlinkSync(execFileSync('which', [tool], { encoding: 'utf8' }).trim(), join(bin, tool));
  return bin;
}

function unauthenticated(root: Root, env: NodeJS.ProcessEnv = {}, args: string[] = []): Promise<StartedServer> {
  return startServer(root.sandbox, {
    args,
    env: {
      FLEET_MCP_AUTH_ENABLED: 'false',
      FLEET_MCP_CONFIG: root.configFile,
      FLEET_MCP_DATA_DIR: root.dataDir,
      FLEET_MCP_STOP_AGENTS_ON_EXIT: 'true',
      ...env,
    },
  });
}

async function tool(
  client: Awaited<ReturnType<typeof connectClient>>,
  name: string,
  args: Record<string, unknown>,
): Promise<Json> {
  const result = (await client.callTool({ name, arguments: args })) as {
    isError?: boolean;
    content: { text: string }[];
    structuredContent?: unknown;
  };
  if (result.isError) throw new Error(`${name} failed: ${result.content[0]!.text}`);
  return result.structuredContent;
}

/** pasta processes still running for tasks of this data dir: the supervisor names the task's run folder to them. */
function pastaOf(dataDir: string): number[] {
  return readdirSync('/proc')
    .filter((pid) => /^\d+$/.test(pid))
    .filter((pid) => {
      try {
        const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
        return argv.some((arg) => arg.endsWith('/pasta')) && argv.some((arg) => arg.startsWith(dataDir));
      } catch {
        return false;
      }
    })
    .map(Number);
}

describe.skipIf(!READY && !process.env.CI)('the network of a sandboxed agent (bwrap and pasta)', () => {
  it('reaches only the host loopback ports its role lists: not the server it could start agents through, not another listener', async () => {
    const other = await listener('OTHER-REACHED');
    const allowed = await listener('ALLOWED-REACHED');
    const root = createRoot({
      jailed: { command: SHELL, sandbox: { ports: [allowed] } },
      open: { command: SHELL, sandbox: false },
    });
    const server = await unauthenticated(root);
    const client = await connectClient(server.mcpUrl);
    const attack = (name: string): string =>
      [
        `node ${root.attack} mcp ${server.port} ${name}-escaped`,
        `node ${root.attack} tcp ${other}`,
        `node ${root.attack} tcp ${allowed}`,
        // Outbound traffic leaves by the default route pasta set up; it is looked at, not used.
        `awk '$2 == "00000000" { found = 1 } END { if (found) print "HAS-ROUTE" }' /proc/net/route`,
        'echo DONE',
      ].join('\n');
    const run = async (name: string, role: string): Promise<{ task: TaskRecord; lines: string[] }> => {
      await tool(client, 'create_agent', { name, project: 'repo', role, task: attack(name) });
      const waited = await tool(client, 'wait_for_agent', { name: name, timeout_seconds: 60 });
      const log = await tool(client, 'show_agent_log', { name: name, page_size: 200 });
      return { task: waited.agent.last_task, lines: log.lines.map((line: { text: string }) => line.text) };
    };

    const open = await run('control', 'open');
    expect(open.lines).toEqual(
      expect.arrayContaining(['MCP-REACHED', 'CREATED-AGENT', 'OTHER-REACHED', 'ALLOWED-REACHED', 'HAS-ROUTE', 'DONE']),
    );

    const jailed = await run('jailed', 'jailed');
    expect(jailed.task).toMatchObject({ status: 'completed', exit_code: 0 });
    expect(jailed.lines).toContain(`sandboxed by bwrap, network on, host loopback ports: ${allowed}`);
    expect(jailed.lines).toEqual(
      expect.arrayContaining([
        `BLOCKED ${server.port} ECONNREFUSED`,
        `BLOCKED ${other} ECONNREFUSED`,
        'ALLOWED-REACHED',
        'HAS-ROUTE',
        'DONE',
      ]),
    );
    for (const marker of ['MCP-REACHED', 'CREATED-AGENT', 'OTHER-REACHED']) expect(jailed.lines).not.toContain(marker);
    const agents = await tool(client, 'list_agents', {});
    expect(JSON.stringify(agents)).not.toContain('jailed-escaped');
    expect(JSON.stringify(agents)).toContain('control-escaped');
    // The task has ended, and its network helper with it.
    await expect.poll(() => pastaOf(root.dataDir), { timeout: 10_000 }).toEqual([]);
    await client.close();
    await server.stop();
  });

  it('ends the network helper with its task, also after the server that started it was killed', async () => {
    const root = createRoot({ jailed: { command: SHELL, sandbox: true } });
    const env = { FLEET_MCP_STOP_AGENTS_ON_EXIT: 'false' };
    const first = await unauthenticated(root, env);
    const client = await connectClient(first.mcpUrl);
    await tool(client, 'create_agent', {
      name: 'jailed',
      project: 'repo',
      role: 'jailed',
      task: 'echo ready; while :; do sleep 0.1; done',
    });
    await expect
      .poll(
        async () =>
          (await tool(client, 'show_agent_log', { name: 'jailed' })).lines.map((line: { text: string }) => line.text),
        { timeout: 20_000 },
      )
      .toContain('ready');
    const helpers = pastaOf(root.dataDir);
    expect(helpers).toHaveLength(1);
    await client.close();
    await first.stop('SIGKILL');
    expect(pastaOf(root.dataDir)).toEqual(helpers);

    const second = await unauthenticated(root);
    const again = await connectClient(second.mcpUrl);
    await tool(again, 'cancel_agent_task', { name: 'jailed' });
    await tool(again, 'wait_for_agent', { name: 'jailed', timeout_seconds: 60 });
    await expect.poll(() => pastaOf(root.dataDir), { timeout: 10_000 }).toEqual([]);
    await again.close();
    await second.stop();
  });

  it('without pasta, a role that asks for the sandbox with network on fails its task with one line saying what to install', async () => {
    const root = createRoot({
      jailed: { command: SHELL, sandbox: true },
      offline: { command: SHELL, sandbox: { network: false } },
    });
    const server = await unauthenticated(root, { PATH: toolsBin(root) });
    expect(server.output()).toContain('the built-in presets run unsandboxed, as pasta is not usable here');
    const client = await connectClient(server.mcpUrl);
    const failed = (await client.callTool({
      name: 'create_agent',
      arguments: { name: 'jailed', project: 'repo', role: 'jailed', task: `echo ran > ${root.sandbox.root}/ran.txt` },
    })) as { isError?: boolean; content: { text: string }[] };
    expect(failed.isError).toBe(true);
    expect(failed.content[0]!.text).toContain(
      'role "jailed" runs sandboxed, and pasta was not found on PATH (a sandbox with network on needs it): install the passt package',
    );
    expect(existsSync(join(root.sandbox.root, 'ran.txt'))).toBe(false);
    await tool(client, 'create_agent', { name: 'offline', project: 'repo', role: 'offline', task: 'echo offline ran' });
    const waited = await tool(client, 'wait_for_agent', { name: 'offline', timeout_seconds: 60 });
    expect(waited.agent.last_task).toMatchObject({ status: 'completed' });
    await client.close();
    await server.stop();
  });

  it('a pasta that fails ends the task before its CLI starts, saying why', async () => {
    const root = createRoot({ jailed: { command: SHELL, sandbox: true } });
    const bin = toolsBin(root);
    writeFileSync(join(bin, 'pasta'), '#!/bin/sh\necho "pasta: no network today" >&2\nexit 1\n', { mode: 0o755 });
    const server = await unauthenticated(root, { PATH: bin });
    const client = await connectClient(server.mcpUrl);
    await tool(client, 'create_agent', { name: 'jailed', project: 'repo', role: 'jailed', task: 'echo CLI-RAN' });
    const waited = await tool(client, 'wait_for_agent', { name: 'jailed', timeout_seconds: 60 });
    expect(waited.agent.last_task).toMatchObject({ status: 'failed' });
    const lines = (await tool(client, 'show_agent_log', { name: 'jailed', page_size: 200 })).lines.map(
      (line: { text: string }) => line.text,
    );
    expect(lines).toContain('pasta: no network today');
    expect(JSON.stringify(waited)).toContain(
      "pasta could not set up the sandbox's network (it ended with exit code 1, see its stderr)",
    );
    expect(lines).not.toContain('CLI-RAN');
    await client.close();
    await server.stop();
  });

  it("refuses to start without auth when a role lists the server's own port, saying what to change", async () => {
    const port = await listener('UNUSED');
    listeners.pop()!.close();
    const root = createRoot({ db: { command: SHELL, sandbox: { ports: [5432, port] } } });
    // The config's check is the subject: the server runs in this process, and this is the line the CLI prints.
    const stderr = await inProcessRefusal(root.sandbox, {
      env: {
        FLEET_MCP_AUTH_ENABLED: 'false',
        FLEET_MCP_CONFIG: root.configFile,
        FLEET_MCP_DATA_DIR: root.dataDir,
        FLEET_MCP_PORT: String(port),
      },
    });
    expect(stderr).toContain(
      `refusing to start: without auth, role "db" must not list port ${port}, this server's own, in sandbox.ports`,
    );
    expect(stderr).toContain('enable auth (FLEET_MCP_AUTH_ENABLED=true)');
    expect(stderr).not.toContain('    at ');
  });

  it("keeps the last good fleet config when a reload would list the server's own port without auth", async () => {
    const port = await listener('UNUSED');
    listeners.pop()!.close();
    const root = createRoot({ db: { command: SHELL, sandbox: { ports: [5432] } } });
    const server = await unauthenticated(root, {}, ['--port', String(port)]);
    expect(server.port).toBe(port);
    writeFileSync(
      root.configFile,
      JSON.stringify({
        projects: { repo: { path: join(root.sandbox.root, 'repo') } },
        roles: { db: { command: SHELL, sandbox: { ports: [port] } } },
      }),
    );
    await expect
      .poll(() => server.output(), { timeout: 10_000 })
      .toContain(`must not list port ${port}, this server's own, in sandbox.ports`);
    expect(server.output()).toContain('fleet config unusable; keeping the last good one');
    await server.stop();
  });
});
