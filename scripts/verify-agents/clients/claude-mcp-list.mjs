// `claude mcp list`: Claude Code's own health check of an HTTP server, the first thing a user runs after `mcp add`.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import claude from '../clis/claude.mjs';

const run = promisify(execFile);

export default {
  name: 'claude-mcp-list',
  /** The CLI it runs, installed (and cached) as the agent checks install it. */
  installs: claude,
  /** What `claude mcp list` prints for the server at `url`, set up with the `Authorization` header when there is one. */
  async connect({ binDir, url, authorization, home, cwd }) {
    const claudeBin = join(binDir, claude.binary);
    // IS_SANDBOX: Claude Code refuses some modes as root unless told it runs in a sandbox; this runs in one.
    const options = { cwd, env: { ...baseEnv(home), IS_SANDBOX: '1' }, timeout: 90_000 };
    const header = authorization ? ['--header', `Authorization: ${authorization}`] : [];
    await run(claudeBin, ['mcp', 'add', '--transport', 'http', 'fleet', url, ...header], options);
    const { stdout, stderr } = await run(claudeBin, ['mcp', 'list'], options).catch((error) => error);
    return `${stdout}${stderr}`;
  },
  connected: (output) => output.includes('✔ Connected'),
};

function baseEnv(home) {
  return {
    PATH: process.env.PATH,
    HOME: home,
    LANG: 'C.UTF-8',
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
    DISABLE_AUTOUPDATER: '1',
  };
}
