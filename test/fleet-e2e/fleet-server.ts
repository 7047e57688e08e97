import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { connectClient } from '../helpers/mcp-client.js';
import { createSandbox, type Sandbox } from '../helpers/sandbox.js';
import { rememberSecret } from '../helpers/secrets.js';
import { startServer, type StartedServer, type StartServerOptions } from '../helpers/server.js';
import { initGitRepo, writeAgentScript } from '../fleet/helpers.js';
import type { Json } from '../helpers/json.js';

/** A sandbox with a git project, a plain project and a fleet config whose default role runs the test agent script. */
export interface FleetSandbox {
  sandbox: Sandbox;
  repo: string;
  plain: string;
  dataDir: string;
  configFile: string;
}

export function createFleetSandbox(): FleetSandbox {
  const sandbox = createSandbox();
  const repo = initGitRepo(mkdir(sandbox.root, 'repo'));
  const plain = mkdir(sandbox.root, 'plain');
  const agent = writeAgentScript(sandbox.root);
  const configFile = join(sandbox.root, 'fleet.json');
  writeFileSync(
    configFile,
    JSON.stringify({
      projects: {
        repo: { path: repo, description: 'a git repository' },
        plain: { path: plain, description: 'a plain folder' },
      },
      roles: { test: { command: [...agent, '{task}'], description: 'the test agent', default: true } },
    }),
  );
  return { sandbox, repo, plain, dataDir: join(sandbox.root, 'data'), configFile };
}

function mkdir(root: string, name: string): string {
  const dir = join(root, name);
  mkdirSync(dir);
  return dir;
}

export interface FleetServer {
  server: StartedServer;
  client: Client;
  call(tool: string, args?: Record<string, unknown>): Promise<ToolAnswer>;
  /** Calls a tool that must succeed and returns its structuredContent. */
  ok<T = Json>(tool: string, args?: Record<string, unknown>): Promise<T>;
  /** Calls a tool that must fail and returns its error text. */
  fails(tool: string, args?: Record<string, unknown>): Promise<string>;
}

export interface ToolAnswer {
  isError: boolean;
  text: string;
  /** What the tool answered as structuredContent; absent on an error. */
  structured: unknown;
}

/**
 * Starts the real server with auth on and connects the real SDK client with the token. Its agents stop with it, so a
 * test leaves no task running; the tests of tasks outliving the server set FLEET_MCP_STOP_AGENTS_ON_EXIT=false.
 */
export async function startFleetServer(
  fleet: FleetSandbox,
  env: NodeJS.ProcessEnv = {},
  options: Pick<StartServerOptions, 'extraFds' | 'args'> = {},
): Promise<FleetServer> {
  const server = await startServer(fleet.sandbox, { ...options, env: fleetServerEnv(fleet, env) });
  return { server, ...(await connectFleetClient(server.mcpUrl, fleetServerToken(fleet, env))) };
}

/** What a fleet server of these tests runs with: auth on, the sandbox's config and data dir, agents stopping with it. */
export function fleetServerEnv(fleet: FleetSandbox, env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return {
    FLEET_MCP_AUTH_ENABLED: 'true',
    FLEET_MCP_CONFIG: fleet.configFile,
    FLEET_MCP_DATA_DIR: fleet.dataDir,
    FLEET_MCP_STOP_AGENTS_ON_EXIT: 'true',
    ...env,
  };
}

/** The token a started fleet server takes: the one `env` sets, else the one the server wrote. */
export function fleetServerToken(fleet: FleetSandbox, env: NodeJS.ProcessEnv): string {
  return env.FLEET_MCP_AUTH_TOKEN ?? rememberSecret(JSON.parse(readFileSync(fleet.sandbox.tokenFile, 'utf8')).value);
}

/** The real SDK client of the 2025 era on `mcpUrl`, with the call helpers of a FleetServer. */
export async function connectFleetClient(mcpUrl: string, token: string): Promise<Omit<FleetServer, 'server'>> {
  const client = await connectClient(mcpUrl, token);
  const call = async (tool: string, args: Record<string, unknown> = {}): Promise<ToolAnswer> => {
    const result = (await client.callTool({ name: tool, arguments: args })) as {
      isError?: boolean;
      content: { text: string }[];
      structuredContent?: unknown;
    };
    return { isError: result.isError === true, text: result.content[0]!.text, structured: result.structuredContent };
  };
  return {
    client,
    call,
    ok: async (tool, args) => {
      const answer = await call(tool, args);
      if (answer.isError) throw new Error(`${tool} failed: ${answer.text}`);
      return answer.structured as never;
    },
    fails: async (tool, args) => {
      const answer = await call(tool, args);
      if (!answer.isError) throw new Error(`${tool} succeeded but should have failed: ${answer.text}`);
      return answer.text;
    },
  };
}

/** Task text for the test agent script (see test/fleet/helpers.ts). */
export { task } from '../fleet/helpers.js';
