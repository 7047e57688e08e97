import { afterAll, describe, expect, it } from 'vitest';
import { startInProcessServer, stopInProcessServers } from '../helpers/in-process-server.js';
import { cleanupSandboxes } from '../helpers/sandbox.js';
import { expectNoSecretInLogs } from '../helpers/secrets.js';
import { connectFleetClient, fleetServerEnv } from './fleet-server.js';
import { startInProcessFleetServer } from './in-process-fleet.js';
import { createShellFleet, SHELL } from './shell-fleet.js';
import { csrfOf, postForm, setCookie } from './web-view-client.js';

const ROLES = { sh: { command: SHELL, description: 'its task is a shell script', default: true } };

afterAll(async () => {
  await stopInProcessServers();
  expectNoSecretInLogs();
  cleanupSandboxes();
});

describe('web view with auth disabled', () => {
  it('needs no login, but still the CSRF token and the same Origin for an action', async () => {
    const fleet = createShellFleet('web-view-open', ROLES);
    const server = await startInProcessServer(fleet.sandbox, {
      env: fleetServerEnv(fleet, { FLEET_MCP_AUTH_ENABLED: 'false' }),
    });
    const base = server.baseUrl;
    const client = await connectFleetClient(server.mcpUrl, 'unused');
    await client.ok('create_agent', { name: 'sleeper', project: 'repo', task: 'sleep 120' });
    expect((await fetch(`${base}/ui/login`, { redirect: 'manual' })).headers.get('location')).toBe('/ui');
    const first = await fetch(`${base}/ui/agents/sleeper`, { redirect: 'manual' });
    expect(first.status).toBe(200);
    const cookie = setCookie(first, 'fleet_ui_session')!.split(';')[0]!;
    const page = await first.text();
    expect(page).toContain('token: unauthenticated');
    expect(page).not.toContain('Log out');
    const csrf = csrfOf(page);
    const path = '/ui/agents/sleeper/cancel';
    expect((await postForm(base, path, {}, { cookie })).status).toBe(403);
    expect((await postForm(base, path, { csrf }, { cookie, origin: 'http://evil.example' })).status).toBe(403);
    expect((await postForm(base, path, { csrf })).status).toBe(401);
    expect((await client.ok<{ status: string }>('show_agent', { name: 'sleeper' })).status).toBe('busy');
    expect((await postForm(base, path, { csrf }, { cookie })).status).toBe(200);
    expect(server.output()).toMatch(/"token_name":"unauthenticated".*"tool":"cancel_agent_task"/);
    await client.client.close();
  });
});

describe('web view turned off', () => {
  it('answers /ui and everything under it with a plain 404, before any auth', async () => {
    const fleet = createShellFleet('web-view-off', ROLES);
    const { server, client } = await startInProcessFleetServer(fleet, { FLEET_MCP_UI: 'false' });
    for (const path of ['/ui', '/ui/', '/ui/login', '/ui/assets/app.js']) {
      const response = await fetch(`${server.baseUrl}${path}`, { redirect: 'manual' });
      expect(response.status, path).toBe(404);
      expect((await response.json()).error_description).toContain('--no-ui');
    }
    await client.close();
  });
});
