import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { CLI } from './cli.js';
import type { Sandbox } from './sandbox.js';
import { captureLog } from './secrets.js';
import { killAndWait } from './stop-processes-in.js';
import type { Json } from './json.js';

export interface StdioClient {
  client: Client;
  stderr: () => string;
  /** The JSON of a tool that must succeed. */
  ok<T = Json>(tool: string, args?: Record<string, unknown>): Promise<T>;
  /** The text of a tool answer, error or not. */
  call(tool: string, args?: Record<string, unknown>): Promise<{ isError: boolean; text: string; structured: unknown }>;
  close(): Promise<void>;
}

export interface StdioClientOptions {
  env?: NodeJS.ProcessEnv;
  /** The folder the client starts fleet-mcp in; default the sandbox's. */
  cwd?: string;
  /** The command that runs the CLI; by default the built bundle under this Node. */
  launcher?: readonly string[];
}

const clients = new Set<StdioClient>();
const dataDirs = new Set<string>();

/** The real SDK client launching `fleet-mcp stdio`, as an MCP client app does. */
export async function startStdioClient(sandbox: Sandbox, options: StdioClientOptions = {}): Promise<StdioClient> {
  const env = { ...sandbox.env, ...options.env };
  dataDirs.add(env.FLEET_MCP_DATA_DIR ?? defaultDataDir(sandbox));
  const [command, ...launcherArgs] = options.launcher ?? [process.execPath, CLI];
  const transport = new StdioClientTransport({
    command: command!,
    args: [...launcherArgs, 'stdio'],
    cwd: options.cwd ?? sandbox.cwd,
    env: Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined)),
    stderr: 'pipe',
  });
  let stderr = '';
  transport.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  captureLog('stdio client (stderr)', () => stderr);
  const client = new Client({ name: 'fleet-mcp-test', version: '1.0.0' });
  const call = async (
    tool: string,
    args: Record<string, unknown> = {},
  ): Promise<{ isError: boolean; text: string; structured: unknown }> => {
    const result = (await client.callTool({ name: tool, arguments: args })) as {
      isError?: boolean;
      content: { text: string }[];
      structuredContent?: unknown;
    };
    return { isError: result.isError === true, text: result.content[0]!.text, structured: result.structuredContent };
  };
  const started: StdioClient = {
    client,
    stderr: () => stderr,
    call,
    ok: async (tool, args) => {
      const answer = await call(tool, args);
      if (answer.isError) throw new Error(`${tool} failed: ${answer.text}`);
      return answer.structured as never;
    },
    close: async () => {
      clients.delete(started);
      await client.close();
    },
  };
  clients.add(started);
  await client.connect(transport);
  return started;
}

/** The pid of the background fleet holding the data dir, if one does. */
export function hostPid(dataDir: string): number | null {
  try {
    const lock = JSON.parse(readFileSync(join(dataDir, 'server.lock'), 'utf8')) as { pid: number; kind?: string };
    return lock.kind === 'host' ? lock.pid : null;
  } catch {
    return null;
  }
}

/** Closes every stdio client a test started, and kills the background fleets they started. */
export async function stopStdioClients(): Promise<void> {
  await Promise.allSettled([...clients].map((started) => started.close()));
  for (const dataDir of dataDirs) killHost(dataDir);
  dataDirs.clear();
}

/** Kills the background fleet holding the data dir, if one does, and waits until it has exited. */
export function killHost(dataDir: string): void {
  const pid = hostPid(dataDir);
  if (pid !== null) killAndWait([pid]);
}

/** The data dir of a process started in the sandbox without FLEET_MCP_DATA_DIR. */
export function defaultDataDir(sandbox: Sandbox): string {
  return join(sandbox.env.XDG_DATA_HOME!, 'fleet-mcp');
}
