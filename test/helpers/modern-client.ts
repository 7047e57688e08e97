import {
  Client,
  type ElicitRequestFormParams,
  type ElicitResult,
  StreamableHTTPClientTransport,
} from '@modelcontextprotocol/client';
import { TASKS_EXTENSION_ID_V2 } from '@modelcontextprotocol/ext-tasks/core/v2';
import type { Json } from './json.js';

/** The v2 SDK client (declaring the tasks extension when asked) pinned to the 2026-07-28 revision over Streamable HTTP, sending the token as clients do. */
export interface ModernClientOptions {
  /** Declares the tasks extension. */
  tasks?: boolean;
  /** Declares elicitation and answers each question with this: true accepts with confirm, false declines. */
  confirms?: (message: string) => boolean;
  /** Declares elicitation and answers each form with what this returns. */
  fills?: (params: ElicitRequestFormParams) => ElicitResult;
}

export async function connectModernClient(
  mcpUrl: string,
  token?: string,
  options: ModernClientOptions = {},
): Promise<Client> {
  const headers: Record<string, string> = token ? { Authorization: `Bearer ${token}` } : {};
  const transport = new StreamableHTTPClientTransport(new URL(mcpUrl), { requestInit: { headers } });
  const capabilities = {
    ...(options.tasks ? { extensions: { [TASKS_EXTENSION_ID_V2]: {} } } : {}),
    ...(options.confirms || options.fills ? { elicitation: { form: {} } } : {}),
  };
  const client = new Client(
    { name: 'fleet-mcp-test', version: '1.0.0' },
    { capabilities, versionNegotiation: { mode: { pin: '2026-07-28' } } },
  );
  const confirms = options.confirms;
  if (confirms) {
    client.setRequestHandler('elicitation/create', (request) =>
      confirms(request.params.message) ? { action: 'accept', content: { confirm: true } } : { action: 'decline' },
    );
  }
  const fills = options.fills;
  if (fills)
    client.setRequestHandler('elicitation/create', (request) => fills(request.params as ElicitRequestFormParams));
  await client.connect(transport);
  return client;
}

/** Calls a tool that must succeed and returns its structured answer. */
export async function modernOk(client: Client, name: string, args: Record<string, unknown>): Promise<Json> {
  const result = await client.callTool({ name, arguments: args });
  if (result.isError) throw new Error(`${name} failed: ${(result.content as { text: string }[])[0]!.text}`);
  return result.structuredContent;
}

/** One 2026-07-28 request written by hand, with its headers, as `token`; `meta` is the request's envelope. */
export async function rawModernRequest(
  url: string,
  token: string,
  request: { method: string; name: string; params: Record<string, unknown>; meta: Record<string, unknown> },
): Promise<Json> {
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      Authorization: `Bearer ${token}`,
      'Content-Type': 'application/json',
      Accept: 'application/json, text/event-stream',
      'Mcp-Protocol-Version': '2026-07-28',
      'Mcp-Method': request.method,
      'Mcp-Name': request.name,
    },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: request.method,
      params: { ...request.params, _meta: request.meta },
    }),
  });
  return response.json();
}
