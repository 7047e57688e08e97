import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { TASKS_EXTENSION_ID_V2 } from '@modelcontextprotocol/ext-tasks/core/v2';

/** The v2 SDK client (declaring the tasks extension when asked) pinned to the 2026-07-28 revision over Streamable HTTP, sending the token as clients do. */
export async function connectModernClient(mcpUrl: string, token?: string, options: { tasks?: boolean } = {}): Promise<Client> {
  const headers: Record<string, string> = token ? { Authorization: `Bearer ${token}` } : {};
  const transport = new StreamableHTTPClientTransport(new URL(mcpUrl), { requestInit: { headers } });
  const capabilities = options.tasks ? { extensions: { [TASKS_EXTENSION_ID_V2]: {} } } : {};
  const client = new Client({ name: 'fleet-mcp-test', version: '1.0.0' }, { capabilities, versionNegotiation: { mode: { pin: '2026-07-28' } } });
  await client.connect(transport);
  return client;
}
