import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, loopbackContext, MISSING_CHROMIUM, screenshot } from '../helpers/browser.js';
import { cleanupSandboxes } from '../helpers/sandbox.js';
import { expectNoSecretInLogs } from '../helpers/secrets.js';
import { killServers } from '../helpers/server.js';
import { type FleetSandbox, type FleetServer, fleetServerToken, startFleetServer } from './fleet-server.js';
import { createNamedTokens } from './in-process-fleet.js';
import { createShellFleet, SHELL } from './shell-fleet.js';

// The web view at /ui in headless Chromium against the real server (the built bundle, as a process) and a real
// `sh -c` agent: log in, watch the agent appear and its log grow without reloading, read its diff, be refused an
// action with a read token that is offered none, and cancel the task as admin. A screenshot at each step.

/** Waits on the page changing, not on a measure of speed (a busy 2-core machine). */
const LIVE = { timeout: 30_000 };
const HOSTILE = '<img src=x onerror="document.title=1">';

const missing = MISSING_CHROMIUM;
it.runIf(missing !== null && process.env.CI === 'true')('chromium is installed', () => {
  throw new Error(missing!);
});

describe.skipIf(missing !== null)(`the web view in Chromium`, () => {
  let fleet: FleetSandbox;
  let server: FleetServer;
  let browser: Browser;
  let tokens: Record<string, string>;
  let admin: Page;
  /** Where the agent waits for the test before its second line. */
  let go: string;
  const blocked: string[] = [];
  const pageErrors: string[] = [];

  beforeAll(async () => {
    fleet = createShellFleet('fleet-mcp-web-browser', {
      sh: { command: SHELL, description: 'its task is a shell script', default: true },
    });
    tokens = createNamedTokens(fleet, { reader: 'read' });
    go = join(fleet.sandbox.root, 'go');
    [server, browser] = await Promise.all([startFleetServer(fleet), launchBrowser()]);
  });

  afterAll(async () => {
    await browser?.close();
    killServers();
    cleanupSandboxes();
    expectNoSecretInLogs();
    expect(blocked).toEqual([]);
    expect(pageErrors).toEqual([]);
  });

  async function newPage(): Promise<Page> {
    const page = await (await loopbackContext(browser, blocked)).newPage();
    page.on('pageerror', (error) => pageErrors.push(error.message));
    // The action forms ask before they post.
    page.on('dialog', (dialog) => void dialog.accept());
    return page;
  }

  async function logIn(page: Page, token: string, step: string): Promise<void> {
    await page.goto(`${server.server.baseUrl}/ui`);
    expect(new URL(page.url()).pathname).toBe('/ui/login');
    await page.fill('#token', token);
    await screenshot(page, 'web-view', step);
    const posted = page.waitForResponse((response) => response.request().method() === 'POST');
    await page.getByRole('button', { name: 'Log in' }).click();
    const answer = await posted;
    // A refused login names its cause here, not as a wait for a page that never comes.
    if (answer.status() !== 303) throw new Error(`login answered ${answer.status()}: ${await answer.text()}`);
    await page.waitForURL(/\/ui$/);
    expect(page.url()).not.toContain(token);
  }

  /** Marks the page's window: the mark is still there only if the page was never reloaded. */
  async function mark(page: Page): Promise<() => Promise<boolean>> {
    await page.evaluate(() => Object.assign(window, { notReloaded: true }));
    return () => page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded === true);
  }

  it('logs in, and sees an agent appear on the overview without reloading', async () => {
    admin = await newPage();
    await logIn(admin, fleetServerToken(fleet, {}), '1-login');
    await expect.poll(() => admin.locator('main').textContent(), LIVE).toContain('No agents yet');
    const stillThere = await mark(admin);
    const script = [
      `echo 'first line ${HOSTILE}'`,
      "printf 'hello from the agent\\n' > notes.txt",
      `while [ ! -e '${go}' ]; do sleep 0.1; done`,
      'echo second line',
      'exec sleep 600',
    ].join('; ');
    await server.ok('create_agent', { name: 'live', project: 'repo', task: script });
    const row = admin.locator('table.agents tr', { hasText: 'live' });
    await expect.poll(() => row.locator('.status').textContent(), LIVE).toBe('busy');
    expect(await stillThere()).toBe(true);
    await screenshot(admin, 'web-view', '2-overview');
  });

  it("shows the agent's log growing without reloading, agent text as text", async () => {
    await Promise.all([
      admin.waitForURL(/\/ui\/agents\/live$/),
      admin.getByRole('link', { name: 'live', exact: true }).click(),
    ]);
    await expect.poll(() => admin.locator('.log').textContent(), LIVE).toContain(`first line ${HOSTILE}`);
    expect(await admin.locator('main img').count()).toBe(0);
    const stillThere = await mark(admin);
    writeFileSync(go, '');
    await expect.poll(() => admin.locator('.log').textContent(), LIVE).toContain('second line');
    expect(await stillThere()).toBe(true);
    expect(await admin.title()).toBe('live · fleet-mcp');
    await screenshot(admin, 'web-view', '3-log');
  });

  it("shows the agent's diff", async () => {
    await Promise.all([admin.waitForURL(/\/changes$/), admin.getByRole('link', { name: 'Changes' }).click()]);
    const file = admin.locator('details.diff-file', { hasText: 'notes.txt' });
    await expect.poll(() => file.locator('.diff').textContent(), LIVE).toContain('hello from the agent');
    await screenshot(admin, 'web-view', '4-diff');
  });

  it('offers a read token no action, and refuses the action it posts anyway', async () => {
    const reader = await newPage();
    await logIn(reader, tokens.reader!, '5-reader-login');
    await Promise.all([
      reader.waitForURL(/\/ui\/agents\/live$/),
      reader.getByRole('link', { name: 'live', exact: true }).click(),
    ]);
    await expect.poll(() => reader.locator('.log').textContent(), LIVE).toContain('first line');
    expect(await reader.locator('form.action, nav.actions').count()).toBe(0);
    await screenshot(reader, 'web-view', '6-reader-agent');

    // What the page does not offer, posted from the page itself with the session's own CSRF token.
    const refused = reader.waitForResponse((response) => response.url().endsWith('/ui/agents/live/cancel'));
    await reader.evaluate(() => {
      const form = document.createElement('form');
      form.method = 'post';
      form.action = '/ui/agents/live/cancel';
      const csrf = document.querySelector<HTMLInputElement>('input[name="csrf"]')!;
      form.append(csrf.cloneNode());
      document.body.append(form);
      form.submit();
    });
    expect((await refused).status()).toBe(403);
    await reader.waitForLoadState();
    expect(await reader.locator('main').textContent()).toContain('may not call cancel_agent_task');
    await screenshot(reader, 'web-view', '7-reader-refused');
    expect((await server.ok('show_agent', { name: 'live' })).status).toBe('busy');
    await reader.context().close();
  });

  it("cancels the agent's task as admin", async () => {
    await Promise.all([
      admin.waitForURL(/\/ui\/agents\/live$/),
      admin.getByRole('link', { name: 'Log', exact: true }).click(),
    ]);
    await Promise.all([
      admin.waitForURL(/\/ui\/agents\/live\/cancel$/),
      admin.getByRole('button', { name: 'Cancel task' }).click(),
    ]);
    expect(await admin.locator('h1').textContent()).toBe('cancel_agent_task done');
    expect((await server.ok('show_agent', { name: 'live' })).last_task).toMatchObject({ status: 'canceled' });
    await screenshot(admin, 'web-view', '8-canceled');
  });
});
