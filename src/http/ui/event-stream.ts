import type { Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import { agentKey } from '../../fleet/agents/names.js';
import type { AgentChange } from '../../fleet/fleet.js';
import type { UiAppOptions } from './ui-options.js';
import type { UiEnv } from './ui-env.js';
import { errorPage } from './views/error-page.js';

/** Changes within this long ride on one event: a chatty agent's page is fetched a few times a second at most. */
export const EVENT_DEBOUNCE_MS = 200;

/** Streams one session may hold open: a tab each, and a bound on the connections one login can keep busy. */
export const MAX_STREAMS_PER_SESSION = 16;

/** A comment this often keeps proxies from closing a quiet stream. */
const HEARTBEAT_MS = 25_000;

/** Which changes a stream tells of: any agent's state for the overview, everything of one agent for its page. */
function filterFor(c: Context<UiEnv>, options: UiAppOptions): (change: AgentChange) => boolean {
  const name = c.req.query('agent');
  if (name === undefined) return (change) => change.kind === 'state';
  const key = agentKey(options.fleet.showAgent(name).name);
  return (change) => change.key === key;
}

/**
 * GET /ui/events[?agent=name]: a `change` event within EVENT_DEBOUNCE_MS of a change the page shows, driven by the
 * fleet's own change events. The stream ends with its session (logout, lifetime) and when its token stops being
 * accepted (revoked, expired), as /mcp streams are cut.
 */
export function eventStream(c: Context<UiEnv>, options: UiAppOptions): Response | Promise<Response> {
  const shows = filterFor(c, options);
  const session = c.get('uiSession');
  if (session.streams.size >= MAX_STREAMS_PER_SESSION) {
    const message = `A session may keep ${MAX_STREAMS_PER_SESSION} pages live at once; close some tabs.`;
    return c.html(errorPage('Too many live pages', message), 429);
  }
  return streamSSE(c, async (stream) => {
    let end = (): void => {};
    const ended = new Promise<void>((resolve) => {
      end = resolve;
    });
    let pending: NodeJS.Timeout | undefined;
    const send = (): void => {
      pending = undefined;
      stream.writeSSE({ event: 'change', data: '' }).catch(end);
    };
    const stopListening = options.fleet.onChange((change) => {
      if (shows(change) && pending === undefined) pending = setTimeout(send, EVENT_DEBOUNCE_MS);
    });
    const heartbeat = setInterval(() => void stream.write(': keep-alive\n\n').catch(end), HEARTBEAT_MS);
    heartbeat.unref();
    session.streams.add(end);
    const untrack =
      session.token === undefined ? undefined : options.requests?.track(session.token, session.tokenName, end);
    const cancelExpiry = options.clock.setTimer(end, options.sessions.expiresAt(session) - options.clock.now());
    stream.onAbort(end);
    await stream.writeSSE({ event: 'ready', data: '' });
    await ended;
    stopListening();
    clearTimeout(pending);
    clearInterval(heartbeat);
    session.streams.delete(end);
    untrack?.();
    cancelExpiry();
    session.lastSeenAt = options.clock.now();
  });
}
