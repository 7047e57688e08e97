import type { MiddlewareHandler } from 'hono';
import { UNAUTHENTICATED_IDENTITY } from '../../auth/identity.js';
import { LOGIN_PATH } from './paths.js';
import { clearUiCookie, readUiCookie, SESSION_COOKIE, setUiCookie } from './session-cookie.js';
import type { UiAppOptions } from './ui-options.js';
import type { UiEnv } from './ui-env.js';
import { errorPage } from './views/error-page.js';

/**
 * Admits a request of a live session, judging its token again now. Without one, a page view is sent to the login
 * form and anything else (the event stream, a form post) gets a 401. With auth disabled there is no login: a page
 * view makes a session, whose CSRF token the forms carry.
 */
export function sessionAuth(options: UiAppOptions): MiddlewareHandler<UiEnv> {
  return async (c, next) => {
    const secret = readUiCookie(c, SESSION_COOKIE);
    const found = secret === undefined ? undefined : options.sessions.find(secret);
    if (found?.ok) {
      const { identity } = found;
      options.usage?.touch(identity.name);
      const limited =
        identity.ratePerMinute === null ? undefined : options.rateLimiter?.take(identity.name, identity.ratePerMinute);
      if (limited) {
        c.header('Retry-After', String(limited.retryAfterSeconds));
        const message = `Token "${identity.name}" may make ${identity.ratePerMinute} requests a minute; retry in ${limited.retryAfterSeconds} s.`;
        return c.html(errorPage('Too many requests', message), 429);
      }
      c.set('identity', identity);
      c.set('uiSession', found.session);
      return next();
    }
    if (found) clearUiCookie(c, SESSION_COOKIE);
    const pageView = c.req.method === 'GET' && !c.req.path.endsWith('/events');
    if (!options.authenticate && pageView) {
      const { secret: fresh, session } = options.sessions.create(undefined, UNAUTHENTICATED_IDENTITY.name);
      setUiCookie(c, SESSION_COOKIE, fresh);
      c.set('identity', UNAUTHENTICATED_IDENTITY);
      c.set('uiSession', session);
      return next();
    }
    if (pageView) return c.redirect(LOGIN_PATH, 303);
    return c.html(errorPage('Not logged in', 'Log in again: this session has ended or never was.'), 401);
  };
}
