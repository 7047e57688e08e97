import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';

/** Debian's chromium, or the one FLEET_MCP_TEST_CHROMIUM names. */
export const CHROMIUM_PATH = process.env.FLEET_MCP_TEST_CHROMIUM || '/usr/bin/chromium';

/** Why the browser tests cannot run here, with the fix; null when they can. */
export const MISSING_CHROMIUM = existsSync(CHROMIUM_PATH)
  ? null
  : `${CHROMIUM_PATH} not found: apt-get install chromium, or set FLEET_MCP_TEST_CHROMIUM to a Chromium binary.`;

// Outside CI the browser tests skip without Chromium (under CI=true they fail): the run says why, and the fix.
if (MISSING_CHROMIUM !== null && process.env.CI !== 'true') console.warn(`Browser tests skipped: ${MISSING_CHROMIUM}`);

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Where screenshots go: the folder CI keeps as artifacts. */
export const ARTIFACTS_DIR = process.env.FLEET_MCP_TEST_ARTIFACTS || join(REPO, 'test-artifacts');

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** True for the URLs a test page may load: this machine's, and those that are no network at all. */
export function isLoopbackUrl(url: string): boolean {
  const parsed = new URL(url);
  if (['about:', 'data:', 'blob:'].includes(parsed.protocol)) return true;
  return LOOPBACK_HOSTS.has(parsed.hostname);
}

/**
 * Headless Chromium for one test file, whose pages reach nothing but this machine: every request and WebSocket to
 * another host is aborted, and Chromium's own traffic goes to a proxy on a loopback port nothing answers.
 */
export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    // Chromium's sandbox refuses to start as root, which is how the tests and CI run.
    chromiumSandbox: process.getuid?.() !== 0,
    proxy: { server: 'http://127.0.0.1:9', bypass: '127.0.0.1,localhost,[::1]' },
  });
}

/** A fresh context (its own cookies) whose pages reach only loopback; `blocked` collects what was refused. */
export async function loopbackContext(browser: Browser, blocked: string[] = []): Promise<BrowserContext> {
  const context = await browser.newContext();
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (isLoopbackUrl(url)) return route.continue();
    blocked.push(url);
    return route.abort('blockedbyclient');
  });
  await context.routeWebSocket(
    (url) => !isLoopbackUrl(url.href),
    (socket) => {
      blocked.push(socket.url());
      return socket.close();
    },
  );
  return context;
}

/** Saves a full-page screenshot as `<file>-<step>.png` in ARTIFACTS_DIR. */
export async function screenshot(page: Page, file: string, step: string): Promise<void> {
  mkdirSync(ARTIFACTS_DIR, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS_DIR, `${file}-${step}.png`), fullPage: true });
}
