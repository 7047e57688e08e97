import { afterAll, describe, expect, it } from 'vitest';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { InMemoryServerEventBus } from '@modelcontextprotocol/server';
import type { TokenIdentity } from '../../src/auth/identity.js';
import { McpServerPool } from '../../src/http/mcp-server-pool.js';
import { createLogger } from '../../src/log.js';
import { TaskRegistry } from '../../src/mcp/task-registry.js';
import { Sandbox, task } from './helpers.js';

// Stateless /mcp requests are answered by servers the pool reuses; a server is built for one token (its tools, and
// the name it records on what it starts), so it may only ever be reused for that very token and those scopes.

const sandbox = new Sandbox();
afterAll(() => sandbox.cleanup());

async function poolOnFleet(): Promise<{ pool: McpServerPool; fleet: Awaited<ReturnType<Sandbox['fleet']>> }> {
  const fleet = await sandbox.fleet();
  return {
    pool: new McpServerPool({
      deps: {
        fleet,
        tasks: new TaskRegistry(),
        events: new InMemoryServerEventBus(),
        logger: createLogger({ level: 'silent' }),
      },
      maxIdle: 8,
    }),
    fleet,
  };
}

/** A JSON-RPC answer: the result fields these tests read. */
interface Answer {
  result?: { isError?: boolean; content: [{ text: string }]; tools: { name: string }[] };
}

async function request(pool: McpServerPool, identity: TokenIdentity, method: string, params: object): Promise<Answer> {
  const message = { jsonrpc: '2.0', id: 1, method, params } as JSONRPCMessage;
  const [answer] = await pool.answer(identity, [message], [1]);
  return answer as Answer;
}

async function callTool(pool: McpServerPool, identity: TokenIdentity, name: string, args: object): Promise<unknown> {
  const answer = await request(pool, identity, 'tools/call', { name, arguments: args });
  expect(answer.result?.isError, JSON.stringify(answer)).not.toBe(true);
  return JSON.parse(answer.result!.content[0].text);
}

const toolNames = async (pool: McpServerPool, identity: TokenIdentity): Promise<string[]> =>
  (await request(pool, identity, 'tools/list', {})).result!.tools.map((tool) => tool.name);

describe('the MCP server pool', () => {
  it('builds a new server when a token comes back with other scopes, so a narrowed token loses the tools at once', async () => {
    const { pool } = await poolOnFleet();
    const before: TokenIdentity = { name: 'ci', scopes: ['admin'], ratePerMinute: null };
    const after: TokenIdentity = { ...before, scopes: ['read'] };
    expect(await toolNames(pool, before)).toContain('delete_agent');
    const narrowed = await toolNames(pool, after);
    expect(narrowed).toContain('list_agents');
    expect(narrowed).not.toContain('delete_agent');
    expect(narrowed).not.toContain('create_agent');
    expect(await toolNames(pool, before)).toContain('delete_agent');
  });

  it('records each agent and task under the token that asked, for two tokens of the same scope taking turns', async () => {
    const { pool, fleet } = await poolOnFleet();
    const alpha: TokenIdentity = { name: 'alpha', scopes: ['run'], ratePerMinute: null };
    const beta: TokenIdentity = { name: 'beta', scopes: ['run'], ratePerMinute: null };
    const quick = task({ lines: ['done'] });
    await callTool(pool, alpha, 'create_agent', { name: 'from-alpha', project: 'plain', task: quick });
    await callTool(pool, beta, 'create_agent', { name: 'from-beta', project: 'plain', task: quick });
    for (const name of ['from-alpha', 'from-beta']) await fleet.waitForAgent(name, 20_000);
    // Each now gives the other's agent a task.
    await callTool(pool, beta, 'start_agent_task', { name: 'from-alpha', task: quick });
    await callTool(pool, alpha, 'start_agent_task', { name: 'from-beta', task: quick });

    expect(fleet.showAgent('from-alpha').created_by).toBe('alpha');
    expect(fleet.showAgent('from-beta').created_by).toBe('beta');
    const startedBy = (agent: string) => fleet.taskHistory(agent).items.map((record) => record.started_by);
    expect(startedBy('from-alpha').sort()).toEqual(['alpha', 'beta']);
    expect(startedBy('from-beta').sort()).toEqual(['alpha', 'beta']);
    // The tools show the same.
    const listed = (await callTool(pool, beta, 'list_agents', {})) as {
      agents: { name: string; created_by: string }[];
    };
    expect(Object.fromEntries(listed.agents.map((agent) => [agent.name, agent.created_by]))).toEqual({
      'from-alpha': 'alpha',
      'from-beta': 'beta',
    });
  });
});
