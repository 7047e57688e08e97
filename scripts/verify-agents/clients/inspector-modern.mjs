// MCP Inspector's CLI, in each protocol era: the tool people use to poke at a server, and a 2026-07-28 client.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

const inspector = {
  name: 'inspector',
  npmPackage: '@modelcontextprotocol/inspector',
  version: '2.12.0',
  binary: 'mcp-inspector',
};

/** One check per era: `modern` speaks only 2026-07-28, `legacy` only the 2025 era with initialize. */
export function inspectorClient(era) {
  return {
    name: `inspector-${era}`,
    installs: inspector,
    /** What `mcp-inspector --cli` prints for a tools/call of list_agent_projects. */
    async connect({ binDir, url, authorization, home, cwd }) {
      const header = authorization ? ['--header', `Authorization: ${authorization}`] : [];
      // --stored-auth-only: without a terminal it would otherwise stop at "interactive OAuth" before showing the 401.
      const args = [
        '--cli',
        url,
        '--transport',
        'http',
        '--protocol-era',
        era,
        '--stored-auth-only',
        '--method',
        'tools/call',
        '--tool-name',
        'list_agent_projects',
        ...header,
      ];
      const env = { PATH: process.env.PATH, HOME: home, LANG: 'C.UTF-8', BROWSER: '/bin/true' };
      const { stdout, stderr } = await run(join(binDir, inspector.binary), args, { cwd, env, timeout: 90_000 }).catch(
        (error) => error,
      );
      return `${stdout}${stderr}`;
    },
    // The v2 SDK client's version probe reports a 401 by its status alone and keeps the body out of its message,
    // so the modern Inspector cannot show the server's reason; the 2025-era one does.
    refusalShows: era === 'modern' ? ['requires authorization (HTTP 401)'] : undefined,
    connected: (output) =>
      output.includes('total_count') && (era === 'legacy' || output.includes('io.modelcontextprotocol/serverInfo')),
  };
}

export default inspectorClient('modern');
