// What a real MCP client shows its user when fleet-mcp refuses its token: the server's reason and how to get a
// token, not a failed OAuth step (see clients/ and README.md in this folder).
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRepo, startServer } from './fleet.mjs';
import { cacheRoot } from './install.mjs';

const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));
const HINT = '`fleet-mcp token show`';

/** Each way a user may hold a token, and what the client must then show. */
export const AUTH_CASES = [
  { id: 'no token', authorization: () => null, shows: ['missing_token', HINT] },
  {
    id: 'wrong token',
    authorization: () => `Bearer ${'w'.repeat(43)}`,
    shows: ['invalid_token', 'not a token of this server', HINT],
  },
  {
    id: 'revoked token',
    authorization: ({ revoked }) => `Bearer ${revoked}`,
    shows: ['invalid_token', '("gone") was revoked at', HINT],
  },
  { id: 'right token', authorization: ({ token }) => `Bearer ${token}`, connects: true },
];

/**
 * Runs the client against `serve --auth` once per case, each time on a fresh server (the refusals of one case
 * would otherwise count toward the failed-auth throttle of the next) and with a fresh HOME. Returns failures.
 */
export async function verifyAuthAnswers({ client, binDir, keep }) {
  const runs = join(cacheRoot(), 'runs');
  mkdirSync(runs, { recursive: true });
  const root = mkdtempSync(join(runs, `${client.name}-`));
  try {
    const { repo } = createRepo(root);
    const env = {
      PATH: process.env.PATH,
      HOME: join(root, 'server-home'),
      LANG: 'C.UTF-8',
      FLEET_MCP_DATA_DIR: join(root, 'data'),
      FLEET_MCP_AUTH_TOKEN_FILE: join(root, 'auth_token'),
    };
    mkdirSync(env.HOME);
    const tokens = await makeTokens({ env, cwd: repo });
    const failures = [];
    for (const [index, authCase] of AUTH_CASES.entries()) {
      const server = await startServer({ env, cwd: repo });
      try {
        const home = join(root, `client-home-${index}`);
        mkdirSync(home);
        const url = `http://127.0.0.1:${server.port}/mcp`;
        const output = await client.connect({
          binDir,
          url,
          authorization: authCase.authorization(tokens),
          home,
          cwd: repo,
        });
        const failure = judge(client, authCase, output);
        if (failure) failures.push(failure);
      } finally {
        await server.stop();
      }
    }
    return failures;
  } finally {
    if (!keep) rmSync(root, { recursive: true, force: true });
  }
}

/** The shared token (written by a first server) and a named token that is then revoked. */
async function makeTokens({ env, cwd }) {
  const server = await startServer({ env, cwd });
  await server.stop();
  const fleetMcp = (...args) =>
    execFileSync(process.execPath, [CLI, 'token', ...args], { cwd, env, stdio: 'pipe' }).toString();
  const revoked = fleetMcp('create', 'gone').split('\n')[0].trim();
  fleetMcp('revoke', 'gone');
  return { token: JSON.parse(readFileSync(env.FLEET_MCP_AUTH_TOKEN_FILE, 'utf8')).value, revoked };
}

function judge(client, authCase, output) {
  if (authCase.connects) return client.connected(output) ? null : `${authCase.id}: did not connect: ${excerpt(output)}`;
  // Clients print the 401 body inside JSON of their own, escaped once or twice: quotes are compared unescaped.
  const plain = output.replaceAll('\\', '');
  const missing = (client.refusalShows ?? authCase.shows).filter((text) => !plain.includes(text));
  return missing.length === 0
    ? null
    : `${authCase.id}: ${missing.map((text) => JSON.stringify(text)).join(', ')} not shown: ${excerpt(output)}`;
}

/** The lines a user would read for the reason, short enough for a result line. */
function excerpt(output) {
  const lines = output.split('\n').filter((line) => /error|fail|reject|✘|✔/i.test(line));
  return (lines.length > 0 ? lines : output.split('\n')).slice(0, 3).join(' | ').slice(0, 600);
}
