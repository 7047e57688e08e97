import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';

/** The v2 SDK client pinned to the 2026-07-28 revision over Streamable HTTP, sending the token as clients do. */
export async function connectModernClient(mcpUrl: string, token?: string): Promise<Client> {
  const headers: Record<string, string> = token ? { Authorization: `Bearer ${token}` } : {};
  const transport = new StreamableHTTPClientTransport(new URL(mcpUrl), { requestInit: { headers } });
  const client = new Client({ name: 'fleet-mcp-test', version: '1.0.0' }, { versionNegotiation: { mode: { pin: '2026-07-28' } } });
  await client.connect(transport);
  return client;
}
