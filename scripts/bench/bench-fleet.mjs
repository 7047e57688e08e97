// What the fleet rows of `npm run bench` (stalls, web view, scale) share: a git project, a fleet-mcp server on a
// config of their own, and the quantiles they report.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { startTarget } from './processes.mjs';

/** The q-quantile (nearest rank), q in [0, 1]. */
export const quantile = (values, q) =>
  [...values].sort((x, y) => x - y)[Math.min(values.length - 1, Math.floor(q * values.length))];

/** A git repository `repo` in `root` on branch main, with one empty commit; `git` runs more in it. */
export function benchRepo(root) {
  const repo = join(root, 'repo');
  mkdirSync(repo);
  const git = (...args) => execFileSync('git', ['-C', repo, ...args], { stdio: 'ignore' });
  git('init', '-q', '-b', 'main');
  git('-c', 'user.name=bench', '-c', 'user.email=bench@localhost', 'commit', '-q', '--allow-empty', '-m', 'start');
  return { repo, git };
}

/** BENCH_SERVER_NODE_ARGS: node flags for the fleet servers only (`--cpu-prof --cpu-prof-dir=...`, `--trace-gc`). */
const nodeArgs = () => (process.env.BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter((arg) => arg !== '');

/**
 * `fleet-mcp serve --auth` of the bundle `cli` on a free port, with the fleet config `configFile`, its own data dir
 * and token, stopping its agents on exit; `env` adds settings. Resolves with the target, its token and start time.
 */
export async function startBenchFleet({ box, cli, configFile, dataDir, env = {} }) {
  const token = randomBytes(32).toString('base64url');
  const started = performance.now();
  const target = await startTarget({
    command: process.execPath,
    args: [...nodeArgs(), cli, 'serve', '--port', '0', '--auth'],
    cwd: box.cwd,
    env: {
      ...box.env,
      FLEET_MCP_AUTH_TOKEN: token,
      FLEET_MCP_CONFIG: configFile,
      FLEET_MCP_DATA_DIR: dataDir,
      FLEET_MCP_STOP_AGENTS_ON_EXIT: 'true',
      ...env,
    },
  });
  return { ...target, token, startMs: performance.now() - started };
}
