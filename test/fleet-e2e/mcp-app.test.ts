import type { Client as ModernClient } from '@modelcontextprotocol/client';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { Browser, FrameLocator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FLEET_APP_MIME_TYPE, FLEET_APP_URI } from '../../src/mcp/app/app-link.js';
import { showApp, startAppHost, type AppHost } from '../helpers/app-host.js';
import { launchBrowser, loopbackContext, MISSING_CHROMIUM, screenshot } from '../helpers/browser.js';
import { connectClient } from '../helpers/mcp-client.js';
import { connectModernClient } from '../helpers/modern-client.js';
import { cleanupSandboxes } from '../helpers/sandbox.js';
import { expectNoSecretInLogs } from '../helpers/secrets.js';
import { killServers } from '../helpers/server.js';
import { type FleetServer, fleetServerToken, startFleetServer } from './fleet-server.js';
import { createNamedTokens } from './in-process-fleet.js';
import { createShellFleet, SHELL } from './shell-fleet.js';

// The fleet view as an MCP App: linked from list_agents and show_agent for clients of both SDK eras, read back as
// one HTML document whose buttons follow the token's scope, and shown in headless Chromium by ext-apps' own host
// side (AppBridge), whose tool calls a real MCP client sends to the server. The server is the built bundle, so the
// app that runs in the browser is the one that ships.

/** What the agent writes, as HTML that would run if the app ever parsed it. */
const HOSTILE_LINE = '<img src=x onerror="document.title=1">hostile';
const HOSTILE_FILE = '<script>document.title=2</script>';

/** Waits on the page changing, not on a measure of speed (a busy 2-core machine). */
const LIVE = { timeout: 30_000 };

let server: FleetServer;
let token: string;
let tokens: Record<string, string>;

beforeAll(async () => {
  const fleet = createShellFleet('fleet-mcp-app', {
    sh: { command: SHELL, description: 'runs its task as a script', default: true },
  });
  tokens = createNamedTokens(fleet, { viewer: 'read', runner: 'run' });
  server = await startFleetServer(fleet);
  token = fleetServerToken(fleet, {});
  const script = [
    `printf '%s\\n' '${HOSTILE_LINE}'`,
    `printf '%s\\n' '${HOSTILE_FILE}' > page.html`,
    'echo started',
    'exec sleep 600',
  ].join('; ');
  await server.ok('create_agent', { name: 'alpha', project: 'repo', task: script });
});

afterAll(() => {
  killServers();
  cleanupSandboxes();
  expectNoSecretInLogs();
});

/** The actions the app's HTML offers, from its data island. */
function offeredActions(html: string): string[] {
  const island = /<script type="application\/json" id="fleet-app-config">(.*?)<\/script>/.exec(html);
  return JSON.parse(island![1]!).actions;
}

interface AppContent {
  mimeType?: string;
  text?: string;
  _meta?: Record<string, unknown>;
}

async function readApp(client: Client | ModernClient): Promise<AppContent> {
  const { contents } = await client.readResource({ uri: FLEET_APP_URI });
  expect(contents).toHaveLength(1);
  return contents[0] as AppContent;
}

describe('the fleet app resource (MCP Apps)', () => {
  it.each(['2025', '2026-07-28'])(
    '%s era: list_agents and show_agent link it, and it reads back as the app',
    async (era) => {
      const client = era === '2025' ? server.client : await connectModernClient(server.server.mcpUrl, token);
      const { tools } = await client.listTools();
      const linked = tools.filter((tool) => tool._meta?.ui !== undefined).map((tool) => tool.name);
      expect(linked.sort()).toEqual(['list_agents', 'show_agent']);
      for (const tool of tools.filter((each) => linked.includes(each.name))) {
        expect(tool._meta).toEqual({ ui: { resourceUri: FLEET_APP_URI } });
      }
      const { resources } = await client.listResources();
      expect(resources.find((resource) => resource.uri === FLEET_APP_URI)).toMatchObject({
        mimeType: 'text/html;profile=mcp-app',
        _meta: { ui: { csp: { connectDomains: [], resourceDomains: [] } } },
      });
      const app = await readApp(client);
      expect(app.mimeType).toBe(FLEET_APP_MIME_TYPE);
      expect(app._meta).toMatchObject({ ui: { csp: { connectDomains: [], resourceDomains: [] } } });
      expect(app.text).toMatch(/^<!doctype html>\n/);
      expect(app.text).toContain("script-src 'sha256-");
      expect(offeredActions(app.text!)).toEqual(['cancel_agent_task', 'merge_agent', 'delete_agent']);
      if (era !== '2025') await client.close();
    },
  );

  it('offers a read token no action and a run token only cancel, in both eras', async () => {
    for (const connect of [connectClient, connectModernClient]) {
      const viewer = await connect(server.server.mcpUrl, tokens.viewer);
      expect(offeredActions((await readApp(viewer)).text!)).toEqual([]);
      await viewer.close();
      const runner = await connect(server.server.mcpUrl, tokens.runner);
      expect(offeredActions((await readApp(runner)).text!)).toEqual(['cancel_agent_task']);
      await runner.close();
    }
  });
});

const missing = MISSING_CHROMIUM;
it.runIf(missing !== null && process.env.CI === 'true')('chromium is installed', () => {
  throw new Error(missing!);
});

describe.skipIf(missing !== null)(`the fleet app in Chromium, hosted by AppBridge`, () => {
  let browser: Browser;
  let host: AppHost;
  const blocked: string[] = [];
  const pageErrors: string[] = [];

  beforeAll(async () => {
    [browser, host] = await Promise.all([launchBrowser(), startAppHost()]);
  });

  afterAll(async () => {
    await browser?.close();
    await host?.close();
    expect(blocked).toEqual([]);
    expect(pageErrors).toEqual([]);
  });

  async function openApp(client: Client, toolArguments: Record<string, unknown>): Promise<[Page, FrameLocator]> {
    const page = await (await loopbackContext(browser, blocked)).newPage();
    page.on('pageerror', (error) => pageErrors.push(error.message));
    const html = (await readApp(client)).text!;
    const callTool = (params: { name: string; arguments?: Record<string, unknown> }) => client.callTool(params);
    return [page, await showApp(page, host, { html, callTool, toolArguments })];
  }

  it('shows the overview with the running agent, its log and diff as text, and cancels it', async () => {
    const [page, app] = await openApp(server.client, {});
    const row = app.locator('table.agents tr', { hasText: 'alpha' });
    await expect.poll(() => row.locator('.state').textContent(), LIVE).toBe('busy');
    expect(await row.locator('.task').textContent()).toContain(HOSTILE_LINE);
    await screenshot(page, 'mcp-app', '1-overview');

    await row.getByRole('button', { name: 'alpha' }).click();
    await expect.poll(() => app.locator('pre.log').textContent(), LIVE).toContain('started');
    expect(await app.locator('pre.log').textContent()).toContain(HOSTILE_LINE);
    await expect.poll(() => app.locator('pre.diff').textContent(), LIVE).toContain('page.html');
    expect(await app.locator('img, main script').count()).toBe(0);
    expect(await page.frames()[1]!.title()).toBe('fleet-mcp');
    await screenshot(page, 'mcp-app', '2-agent');

    expect(await app.locator('button.action').allTextContents()).toEqual(['cancel', 'merge', 'delete']);
    await app.getByRole('button', { name: 'cancel' }).click();
    await expect.poll(() => app.locator('#fleet-app-notice').textContent(), LIVE).toContain('"status":"idle"');
    expect((await server.ok('show_agent', { name: 'alpha' })).last_task).toMatchObject({ status: 'canceled' });
    await expect.poll(() => app.locator('h1 .state').textContent(), LIVE).toBe('idle');
    await screenshot(page, 'mcp-app', '3-canceled');
    await page.context().close();
  });

  it("offers a read token's user no action, opened as show_agent's result", async () => {
    const viewer = await connectClient(server.server.mcpUrl, tokens.viewer);
    const [page, app] = await openApp(viewer, { name: 'alpha' });
    await expect.poll(() => app.locator('pre.log').textContent(), LIVE).toContain('started');
    await expect.poll(() => app.locator('h1').textContent(), LIVE).toMatch(/^alpha /);
    expect(await app.locator('button.action').count()).toBe(0);
    await screenshot(page, 'mcp-app', '4-read-only');
    await page.context().close();
    await viewer.close();
  });
});
