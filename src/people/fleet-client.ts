import { connect, type Socket } from 'node:net';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { ATTACH_PROTOCOL, fleetSocketPath, MAX_HANDSHAKE_BYTES, replySchema } from '../attach/attach-protocol.js';
import { readFirstLine } from '../attach/first-line.js';
import { isOwnSocket } from '../attach/socket-trust.js';
import { ConfigError, isConfigError } from '../config-error.js';
import { VERSION } from '../version.js';
import { SocketTransport } from './socket-transport.js';

// The fleet answers the hello at once when it runs; a busy box gets some slack.
const HELLO_TIMEOUT_MS = 10_000;

/** What a person's command asks of the running fleet: its tools, answered as their structured value. */
export interface FleetClient {
  /** The tool's structuredContent; a refusal (an unknown agent, no task to cancel) throws its one line. */
  call<T>(tool: string, args?: Record<string, unknown>): Promise<T>;
  /** Both the structuredContent and the text the fleet wrote for reading. */
  answer<T>(tool: string, args?: Record<string, unknown>): Promise<{ structured: T; text: string }>;
  close(): Promise<void>;
}

/**
 * Attaches to the fleet running on the data dir, as `fleet-mcp stdio` does, but never starts one: a person asking
 * what runs wants to hear that nothing does. The socket must be this user's (or root's), in a data dir only they
 * can write, or its answers could be anyone's.
 */
export async function connectFleet(dataDir: string): Promise<FleetClient> {
  const target = fleetSocketPath(dataDir);
  if ('problem' in target) throw new ConfigError(target.problem);
  const socket = isOwnSocket(target.path) ? await open(target.path) : null;
  if (!socket) throw new ConfigError(noFleet(dataDir));
  await hello(socket, target.path, dataDir);
  const client = new Client({ name: 'fleet-mcp-cli', version: VERSION });
  await lostFleetIsOneLine(dataDir, () => client.connect(new SocketTransport(socket)));
  const callTool = (tool: string, args: Record<string, unknown>) =>
    lostFleetIsOneLine(dataDir, () => toolResult(client, tool, args));
  return {
    call: async <T>(tool: string, args: Record<string, unknown> = {}) =>
      (await callTool(tool, args)).structuredContent as T,
    answer: async <T>(tool: string, args: Record<string, unknown> = {}) => {
      const result = await callTool(tool, args);
      return {
        structured: result.structuredContent as T,
        text: result.content.map((part) => part.text ?? '').join('\n'),
      };
    },
    close: () => client.close(),
  };
}

function noFleet(dataDir: string): string {
  return `no fleet-mcp server runs on the data dir ${dataDir}; start one with \`fleet-mcp serve\` (or let an MCP client start \`fleet-mcp stdio\`), or name another with --data-dir`;
}

interface ToolResult {
  isError?: boolean;
  content: { type: string; text?: string }[];
  structuredContent?: unknown;
}

/** The fleet going away mid-call (a restart, a crash) is the person's to hear in a line, not a stack trace. */
async function lostFleetIsOneLine<T>(dataDir: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (isConfigError(error)) throw error;
    throw new ConfigError(
      `the fleet on the data dir ${dataDir} stopped answering (${(error as Error).message}); see whether it runs: fleet-mcp status`,
    );
  }
}

async function toolResult(client: Client, tool: string, args: Record<string, unknown>): Promise<ToolResult> {
  const result = (await client.callTool({ name: tool, arguments: args })) as ToolResult;
  if (result.isError) throw new ConfigError(result.content.map((part) => part.text ?? '').join(' '));
  return result;
}

async function hello(socket: Socket, path: string, dataDir: string): Promise<void> {
  socket.write(`${JSON.stringify({ fleet_mcp_attach: ATTACH_PROTOCOL, cwd: process.cwd(), version: VERSION })}\n`);
  let line: string;
  try {
    line = await readFirstLine(socket, { maxBytes: MAX_HANDSHAKE_BYTES, timeoutMs: HELLO_TIMEOUT_MS });
  } catch {
    socket.destroy();
    throw new ConfigError(noFleet(dataDir));
  }
  const reply = replySchema.safeParse(safeJson(line));
  if (!reply.success) {
    socket.destroy();
    throw new ConfigError(
      `the fleet on ${path} answered the attach hello wrongly; is it a fleet-mcp of another version? restart it`,
    );
  }
  if ('fleet_mcp_refused' in reply.data) {
    socket.destroy();
    throw new ConfigError(`the fleet on ${path} refused this client: ${reply.data.fleet_mcp_refused}`);
  }
}

function safeJson(line: string): unknown {
  try {
    return JSON.parse(line);
  } catch {
    return null;
  }
}

function open(path: string): Promise<Socket | null> {
  return new Promise((resolve) => {
    const socket = connect(path);
    const onError = (): void => resolve(null);
    socket.once('error', onError);
    socket.once('connect', () => {
      socket.off('error', onError);
      resolve(socket);
    });
  });
}
