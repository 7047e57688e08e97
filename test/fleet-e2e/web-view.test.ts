import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshClientAddress, send } from '../helpers/http-request.js';
import { stopInProcessServers } from '../helpers/in-process-server.js';
import { addNamedToken, revokeToken } from '../helpers/named-tokens.js';
import { cleanupSandboxes } from '../helpers/sandbox.js';
import { expectNoSecretInLogs } from '../helpers/secrets.js';
import type { FleetSandbox } from './fleet-server.js';
import { createNamedTokens, type InProcessFleetServer, startInProcessFleetServer } from './in-process-fleet.js';
import { createShellFleet, SHELL } from './shell-fleet.js';
import { getPage, logIn, loginForm, openEvents, postForm, setCookie, type UiSession } from './web-view-client.js';

const HOSTILE = '<img src=x onerror=alert(1)>';
/** A task that prints the attack, names a file after it and asks for it in its own text. */
const HOSTILE_TASK = `echo '${HOSTILE}'; echo 'const a = "${HOSTILE}";' > '${HOSTILE}.js'; echo done`;
/** About 10.5 MB of output: 160 lines of 64 KiB, the longest line the log keeps. */
const BIG_TASK = 's=$(head -c 65536 /dev/zero | tr "\\0" x); i=0; while [ $i -lt 160 ]; do echo "$s"; i=$((i+1)); done';

let fleet: FleetSandbox;
let server: InProcessFleetServer;
let tokens: Record<string, string>;
let admin: UiSession;
let base: string;

async function created(name: string, task: string): Promise<void> {
  await server.ok('create_agent', { name, project: 'repo', task });
}

async function settled(name: string): Promise<void> {
  await server.ok('wait_for_agent', { name, timeout_seconds: 60 });
}

async function status(name: string): Promise<string> {
  return ((await server.ok('show_agent', { name })) as { status: string }).status;
}

async function lastTaskStatus(name: string): Promise<string> {
  return ((await server.ok('show_agent', { name })) as { last_task: { status: string } }).last_task.status;
}

beforeAll(async () => {
  fleet = createShellFleet('web-view', {
    sh: { command: SHELL, description: 'its task is a shell script', default: true },
  });
  tokens = createNamedTokens(fleet, { reader: 'read', runner: 'run', doomed: 'read', leaver: 'read' });
  tokens.limited = addNamedToken(fleet.sandbox, 'limited', { ratePerMinute: 3 });
  server = await startInProcessFleetServer(fleet);
  base = server.server.baseUrl;
  await Promise.all([
    created('sleeper', `echo 'started ${HOSTILE}'; sleep 120`),
    created('hostile', HOSTILE_TASK),
    created('big', BIG_TASK),
  ]);
  await Promise.all([settled('hostile'), settled('big')]);
  admin = (await logIn(base, server.token)).session!;
});

afterAll(async () => {
  await stopInProcessServers();
  expectNoSecretInLogs();
  cleanupSandboxes();
});

function expectStrictHeaders(response: Response): void {
  const csp = response.headers.get('content-security-policy') ?? '';
  expect(csp).toContain("default-src 'none'");
  expect(csp).toContain("script-src 'self'");
  expect(csp).toContain("frame-ancestors 'none'");
  expect(response.headers.get('x-content-type-options')).toBe('nosniff');
  expect(response.headers.get('referrer-policy')).toBe('same-origin');
  expect(response.headers.get('cache-control')).toBe('no-store');
}

describe('web view login', () => {
  it('sets an HttpOnly, SameSite=Strict cookie under /ui that is not the token, and sends the token nowhere back', async () => {
    const { response, session } = await logIn(base, tokens.runner!);
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe('/ui');
    const line = setCookie(response, 'fleet_ui_session')!;
    expect(line).toMatch(/; Path=\/ui(;|$)/);
    expect(line).toMatch(/; HttpOnly(;|$)/);
    expect(line).toMatch(/; SameSite=Strict(;|$)/);
    expect(line).not.toMatch(/Secure/);
    expect(line).not.toContain(tokens.runner);
    const overview = await getPage(session!, '/ui');
    expect(overview.status).toBe(200);
    expect(await overview.text()).not.toContain(tokens.runner);
    expect(server.server.output()).toContain('"token_name":"runner"');
  });

  it('marks the cookie Secure when a TLS proxy says the page was served over https', async () => {
    const response = await fetch(`${base}/ui/login`, { headers: { 'X-Forwarded-Proto': 'https' } });
    expect(setCookie(response, 'fleet_ui_login')).toMatch(/; Secure(;|$)/);
  });

  it('refuses a wrong token with a 401 page, a login without its CSRF token with a 403, and makes no session', async () => {
    const wrong = await logIn(base, 'x'.repeat(43));
    expect(wrong.response.status).toBe(401);
    expect(setCookie(wrong.response, 'fleet_ui_session')).toBeUndefined();
    expect(await wrong.response.text()).toContain('not accepted');
    const noCsrf = await postForm(base, '/ui/login', { token: server.token });
    expect(noCsrf.status).toBe(403);
    expect(setCookie(noCsrf, 'fleet_ui_session')).toBeUndefined();
  });

  it('refuses a form over 16 KiB with a 413 page, before it reads the token, and makes no session', async () => {
    const form = await loginForm(base);
    const padded = { token: server.token, csrf: form.csrf, pad: 'x'.repeat(20 * 1024) };
    const tooLarge = await postForm(base, '/ui/login', padded, { cookie: form.cookie });
    expect(tooLarge.status).toBe(413);
    expect(await tooLarge.text()).toContain('Forms are limited to');
    expect(setCookie(tooLarge, 'fleet_ui_session')).toBeUndefined();
  });

  it('throttles failed logins of a client as failed bearer auth is throttled', async () => {
    const localAddress = freshClientAddress();
    const form = await loginForm(base);
    const statuses: number[] = [];
    for (let attempt = 0; attempt < 11; attempt++) {
      const response = await send(`${base}/ui/login`, {
        method: 'POST',
        localAddress,
        headers: { Origin: base, Cookie: form.cookie, 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ csrf: form.csrf, token: 'y'.repeat(43) }).toString(),
      });
      statuses.push(response.status);
    }
    expect(statuses.slice(0, 10)).toEqual(Array(10).fill(401));
    expect(statuses[10]).toBe(429);
  });

  it("holds a session to its token's per-minute limit, counted as /mcp counts it", async () => {
    const limited = (await logIn(base, tokens.limited!)).session!;
    const statuses = [];
    for (let request = 0; request < 3; request++) statuses.push((await getPage(limited, '/ui')).status);
    expect(statuses).toEqual([200, 200, 429]);
  });

  it('sends a page view without a session to the login form, and answers the stream and actions 401', async () => {
    const page = await fetch(`${base}/ui/agents/sleeper`, { redirect: 'manual' });
    expect(page.status).toBe(303);
    expect(page.headers.get('location')).toBe('/ui/login');
    expect((await fetch(`${base}/ui/events`)).status).toBe(401);
    const action = await postForm(base, '/ui/agents/sleeper/cancel', { csrf: admin.csrf });
    expect(action.status).toBe(401);
    const forged = await getPage({ ...admin, cookie: 'fleet_ui_session=forged' }, '/ui');
    expect(forged.headers.get('location')).toBe('/ui/login');
  });
});

describe('web view pages', () => {
  it('serves every page, asset, redirect and error with the strict CSP and no-store', async () => {
    for (const path of [
      '/ui',
      '/ui/agents/hostile',
      '/ui/agents/hostile/changes',
      '/ui/agents/hostile/history',
      '/ui/agents/nobody',
      '/ui/assets/app.js',
      '/ui/assets/app.css',
    ]) {
      expectStrictHeaders(await getPage(admin, path));
    }
    expectStrictHeaders(await fetch(`${base}/ui/login`));
    expectStrictHeaders(await fetch(`${base}/ui`, { redirect: 'manual' }));
    const script = await getPage(admin, '/ui/assets/app.js');
    expect(script.headers.get('content-type')).toContain('text/javascript');
    const page = await (await getPage(admin, '/ui')).text();
    expect(page).not.toMatch(/<script(?![^>]*\bsrc=)/);
    expect(page).not.toMatch(/\sstyle=|<style/);
  });

  it('shows every agent with its state, current task, last outcome, age and cost', async () => {
    const page = await (await getPage(admin, '/ui')).text();
    for (const name of ['sleeper', 'hostile', 'big']) expect(page).toContain(`href="/ui/agents/${name}"`);
    expect(page).toContain('echo &#39;started &lt;img');
    expect(page).toMatch(/status-busy/);
    expect(page).toMatch(/outcome-succeeded/);
  });

  it('renders agent-written text as text: a log line, a task, a file name and a diff line', async () => {
    const escaped = '&lt;img src=x onerror=alert(1)&gt;';
    for (const path of ['/ui', '/ui/agents/hostile', '/ui/agents/hostile/history', '/ui/agents/hostile/changes']) {
      const page = await (await getPage(admin, path)).text();
      expect(page, path).not.toContain('<img');
      expect(page, path).toContain(escaped);
    }
    const changes = await (await getPage(admin, '/ui/agents/hostile/changes')).text();
    expect(changes).toContain(`<summary><code>${escaped}.js</code></summary>`);
    expect(changes).toContain('<span class="syntax-keyword">const</span>');
  });

  it('sends the latest page of a 10 MB log, small, and pages back', async () => {
    const first = await getPage(admin, '/ui/agents/big');
    const text = await first.text();
    expect(text.length).toBeLessThan(400_000);
    expect(text).toContain('more characters)');
    expect(text).toContain('href="/ui/agents/big?page=2"');
    const second = await getPage(admin, '/ui/agents/big?page=2');
    expect(second.status).toBe(200);
    expect((await second.text()).length).toBeLessThan(400_000);
  });

  it('answers an unknown agent 404 and a bad page number 400, as plain pages', async () => {
    const unknown = await getPage(admin, '/ui/agents/nobody');
    expect(unknown.status).toBe(404);
    const text = await unknown.text();
    expect(text).toContain('nobody');
    expect(text).not.toMatch(/at \S+ \(/);
    expect((await getPage(admin, '/ui/agents/big?page=abc')).status).toBe(400);
    expect((await getPage(admin, '/ui/no/such/page')).status).toBe(404);
    expect((await getPage(admin, '/ui/')).headers.get('location')).toMatch(/\/ui$/);
  });
});

describe('web view actions', () => {
  it('refuses an action without the CSRF token, with a wrong one, or from another origin, and does nothing', async () => {
    const path = '/ui/agents/sleeper/cancel';
    const missing = await postForm(base, path, {}, { cookie: admin.cookie });
    const wrong = await postForm(base, path, { csrf: `${admin.csrf}x` }, { cookie: admin.cookie });
    const foreign = await postForm(
      base,
      path,
      { csrf: admin.csrf },
      { cookie: admin.cookie, origin: 'http://evil.example' },
    );
    const noOrigin = await postForm(base, path, { csrf: admin.csrf }, { cookie: admin.cookie, origin: null });
    const opaque = await postForm(base, path, { csrf: admin.csrf }, { cookie: admin.cookie, origin: 'null' });
    expect([missing.status, wrong.status, foreign.status, noOrigin.status, opaque.status]).toEqual([
      403, 403, 403, 403, 403,
    ]);
    expect(await status('sleeper')).toBe('busy');
  });

  it('offers a read token no action and refuses its action with 403, leaving the task running', async () => {
    const reader = (await logIn(base, tokens.reader!)).session!;
    const page = await (await getPage(reader, '/ui/agents/sleeper')).text();
    expect(page).not.toContain('/cancel"');
    expect(page).not.toContain('/delete"');
    const refused = await postForm(base, '/ui/agents/sleeper/cancel', { csrf: reader.csrf }, { cookie: reader.cookie });
    expect(refused.status).toBe(403);
    expect(await refused.text()).toContain('needs scope run');
    expect(await status('sleeper')).toBe('busy');
  });

  it('offers a run token cancel but not merge or delete, and refuses a delete it posts anyway', async () => {
    const runner = (await logIn(base, tokens.runner!)).session!;
    const page = await (await getPage(runner, '/ui/agents/sleeper')).text();
    expect(page).toContain('action="/ui/agents/sleeper/cancel"');
    expect(page).not.toContain('/merge"');
    const refused = await postForm(base, '/ui/agents/hostile/delete', { csrf: runner.csrf }, { cookie: runner.cookie });
    expect(refused.status).toBe(403);
    expect(await status('hostile')).toBe('idle');
  });

  it('cancels through the tool, recording the caller, and answers a refusal as a plain 409 page', async () => {
    const done = await postForm(base, '/ui/agents/sleeper/cancel', { csrf: admin.csrf }, { cookie: admin.cookie });
    expect(done.status).toBe(200);
    expect(await lastTaskStatus('sleeper')).toBe('canceled');
    expect(server.server.output()).toMatch(/"token_name":"shared".*"tool":"cancel_agent_task"/);
    const again = await postForm(base, '/ui/agents/sleeper/cancel', { csrf: admin.csrf }, { cookie: admin.cookie });
    expect(again.status).toBe(409);
  });

  it('refuses a foreign Host, as /mcp does', async () => {
    const response = await send(`${base}/ui/login`, { headers: { Host: 'evil.example' } });
    expect(response.status).toBe(403);
  });
});

describe('web view live updates and session ends', () => {
  // How soon it arrives is measured by `npm run bench` (scripts/bench/web-live.mjs), not asserted here.
  it("tells the agent's page of a change of the agent", async () => {
    const events = await openEvents(admin, '?agent=hostile');
    expect(events.response.headers.get('content-type')).toContain('text/event-stream');
    expect(await events.next()).toBe('ready');
    const change = events.next();
    await server.ok('start_agent_task', { name: 'hostile', task: 'echo again' });
    expect(await change).toBe('change');
    events.close();
    await settled('hostile');
  });

  it('holds a session to 16 live pages at once', async () => {
    const runner = (await logIn(base, tokens.runner!)).session!;
    const open = await Promise.all(Array.from({ length: 16 }, () => openEvents(runner)));
    const refused = await fetch(`${base}/ui/events`, { headers: { Cookie: runner.cookie } });
    expect(refused.status).toBe(429);
    open[0]!.close();
    await expect
      .poll(async () => {
        const again = await fetch(`${base}/ui/events`, { headers: { Cookie: runner.cookie } });
        await again.body?.cancel();
        return again.status;
      })
      .toBe(200);
    for (const events of open) events.close();
  });

  it('ends the session and its open stream when its token is revoked', async () => {
    const doomed = (await logIn(base, tokens.doomed!)).session!;
    const events = await openEvents(doomed);
    expect(await events.next()).toBe('ready');
    revokeToken(fleet.sandbox, 'doomed');
    await events.ended;
    const page = await getPage(doomed, '/ui');
    expect(page.headers.get('location')).toBe('/ui/login');
  });

  it('ends the session and its open stream on logout, which needs the CSRF token', async () => {
    const leaver = (await logIn(base, tokens.leaver!)).session!;
    const events = await openEvents(leaver);
    expect(await events.next()).toBe('ready');
    expect((await postForm(base, '/ui/logout', {}, { cookie: leaver.cookie })).status).toBe(403);
    expect((await getPage(leaver, '/ui')).status).toBe(200);
    const out = await postForm(base, '/ui/logout', { csrf: leaver.csrf }, { cookie: leaver.cookie });
    expect(out.status).toBe(303);
    expect(setCookie(out, 'fleet_ui_session')).toMatch(/Max-Age=0/);
    await events.ended;
    expect((await getPage(leaver, '/ui')).headers.get('location')).toBe('/ui/login');
  });
});

describe('web view merge and delete', () => {
  it('merges an idle agent and deletes another through the tools, and the overview stream tells of it', async () => {
    await settled('hostile');
    const merged = await postForm(base, '/ui/agents/hostile/merge', { csrf: admin.csrf }, { cookie: admin.cookie });
    expect(merged.status).toBe(200);
    expect(await merged.text()).toContain('&quot;outcome&quot;:&quot;merged&quot;');
    const overview = await openEvents(admin);
    expect(await overview.next()).toBe('ready');
    const change = overview.next();
    const deleted = await postForm(base, '/ui/agents/big/delete', { csrf: admin.csrf }, { cookie: admin.cookie });
    expect(deleted.status).toBe(200);
    expect(await change).toBe('change');
    overview.close();
    expect((await getPage(admin, '/ui/agents/big')).status).toBe(404);
    expect(await (await getPage(admin, '/ui')).text()).not.toContain('/ui/agents/big"');
  });
});
