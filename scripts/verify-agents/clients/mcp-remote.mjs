// mcp-remote: the stdio-to-HTTP bridge that Claude Desktop and other command-only clients use for a remote server.
import { spawn } from 'node:child_process';
import { join } from 'node:path';

const INITIALIZE = {
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'verify-agents', version: '1' } },
};
const ANSWER_MS = 60_000;

const mcpRemote = { name: 'mcp-remote', npmPackage: 'mcp-remote', version: '0.15.1', binary: 'mcp-remote' };

export default {
  name: 'mcp-remote',
  installs: mcpRemote,
  /**
   * What mcp-remote prints (stderr, then stdout) when it bridges `url` and is sent an initialize: it ends by
   * itself when it cannot connect; once it has answered, it is stopped.
   */
  connect({ binDir, url, authorization, home, cwd }) {
    const header = authorization ? ['--header', `Authorization: ${authorization}`] : [];
    // BROWSER: it would open a sign-in page only after an OAuth registration, which never succeeds here.
    const env = { PATH: process.env.PATH, HOME: home, LANG: 'C.UTF-8', BROWSER: '/bin/true' };
    const child = spawn(join(binDir, mcpRemote.binary), [url, '--allow-http', ...header], { cwd, env, stdio: 'pipe' });
    let stdout = '';
    let stderr = '';
    return new Promise((resolve) => {
      const finish = () => {
        clearTimeout(timer);
        child.kill('SIGTERM');
        resolve(`${stderr}${stdout}`);
      };
      const timer = setTimeout(finish, ANSWER_MS);
      child.stdout.on('data', (chunk) => {
        stdout += chunk;
        if (stdout.includes('"id":1')) finish();
      });
      child.stderr.on('data', (chunk) => (stderr += chunk));
      child.once('exit', finish);
      child.stdin.on('error', () => undefined);
      child.stdin.write(`${JSON.stringify(INITIALIZE)}\n`);
    });
  },
  connected: (output) => output.includes('"serverInfo":{"name":"fleet-mcp"'),
};
