import { execFileSync } from 'node:child_process';
import { cpSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanupSandboxes, createSandbox } from '../helpers/sandbox.js';
import { expectNoSecretInLogs } from '../helpers/secrets.js';
import { killServers, startServer } from '../helpers/server.js';
import { expectServesOneCallAndStops } from '../helpers/serves-one-call.js';
import { expectServesWebView } from '../helpers/serves-web-view.js';

afterAll(() => {
  killServers();
  expectNoSecretInLogs();
  cleanupSandboxes();
});

const DIST = resolve(import.meta.dirname, '../../dist');
const pkg = JSON.parse(readFileSync(resolve(import.meta.dirname, '../../package.json'), 'utf8')) as { version: string };

describe('the bundled CLI', () => {
  it('is cli.js, server-commands.js and their loader, which serve MCP with no node_modules beside them', async () => {
    const sandbox = createSandbox();
    for (const file of [
      'cli.js',
      'server-commands.js',
      'server-commands.js.cache',
      'bundle-code-cache.js',
      'package.json',
    ])
      cpSync(join(DIST, file), join(sandbox.root, file));
    const alone = join(sandbox.root, 'cli.js');
    expect(execFileSync(process.execPath, [alone, '--version'], { cwd: sandbox.root, encoding: 'utf8' })).toBe(
      `${pkg.version}\n`,
    );

    const server = await startServer(sandbox, {
      launcher: [process.execPath, alone],
      env: { FLEET_MCP_AUTH_ENABLED: 'true' },
    });
    await expectServesWebView(server.baseUrl);
    await expectServesOneCallAndStops(sandbox, server);
  });
});
