import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import * as nodeModule from 'node:module';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanupSandboxes, createSandbox, type Sandbox } from '../helpers/sandbox.js';
import { expectNoSecretInLogs } from '../helpers/secrets.js';
import { killServers, startServer } from '../helpers/server.js';
import { expectServesOneCallAndStops } from '../helpers/serves-one-call.js';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '../..');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };

afterAll(() => {
  killServers();
  expectNoSecretInLogs();
  cleanupSandboxes();
});

/**
 * The sandbox's environment without the npm_* variables an `npm test` run exports (npm_config_prefix among them),
 * so the npm started here installs where it is told and reads no config of the project's.
 */
function npmEnv(sandbox: Sandbox): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(sandbox.env).filter(([key]) => !key.toLowerCase().startsWith('npm_')));
}

/** `npm pack` of this checkout (dist/ is built by the global setup, as prepare would), installed in an empty folder. */
async function installPackage(sandbox: Sandbox): Promise<string> {
  const env = npmEnv(sandbox);
  const packed = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', sandbox.root], {
    cwd: ROOT,
    env,
  });
  const [{ filename, files }] = JSON.parse(packed.stdout) as [{ filename: string; files: { path: string }[] }];
  // A code cache fits only the Node that made it: the package ships none.
  expect(files.map(({ path }) => path).filter((path) => /\.(cache|tmp)$/.test(path))).toEqual([]);
  const folder = join(sandbox.root, 'installed');
  mkdirSync(folder);
  // An empty cache and --offline: the install succeeds only if it needs nothing but the tarball.
  const cache = join(sandbox.root, 'npm-cache');
  await run(
    'npm',
    ['install', '--offline', '--no-audit', '--no-fund', '--cache', cache, join(sandbox.root, filename)],
    {
      cwd: folder,
      env,
    },
  );
  return folder;
}

describe('the npm package', () => {
  it('installs as one package, with no dependencies, and its fleet-mcp prints its version and serves MCP', async () => {
    const sandbox = createSandbox();
    const folder = await installPackage(sandbox);
    expect(readdirSync(join(folder, 'node_modules')).filter((name) => !name.startsWith('.'))).toEqual(['fleet-mcp']);
    const listed = await run('npm', ['ls', '--all', '--parseable'], { cwd: folder, env: npmEnv(sandbox) });
    expect(listed.stdout.trim().split('\n')).toEqual([folder, join(folder, 'node_modules', 'fleet-mcp')]);

    const bin = join(folder, 'node_modules', '.bin', 'fleet-mcp');
    expect((await run(bin, ['--version'], { cwd: sandbox.cwd, env: sandbox.env })).stdout).toBe(`${pkg.version}\n`);
    // The package has no code cache of the build's; Node >= 22.1 keeps its own under the user's cache dir, not in the
    // system temp dir that other users of the host may write.
    if ('enableCompileCache' in nodeModule) {
      const compileCache = join(sandbox.env.HOME!, '.cache', 'fleet-mcp', 'node-compile-cache');
      expect(existsSync(compileCache) && readdirSync(compileCache).length).toBeGreaterThan(0);
    }

    const server = await startServer(sandbox, { launcher: [bin], env: { FLEET_MCP_AUTH_ENABLED: 'true' } });
    await expectServesOneCallAndStops(sandbox, server);
  });
});
