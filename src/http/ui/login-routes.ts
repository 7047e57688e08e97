import { Hono, type Context } from 'hono';
import { isB64Token } from '../../auth/token.js';
import { clientAddress } from '../client-address.js';
import { crossSiteRefusal, presentedCsrf } from './csrf-guard.js';
import { LOGIN_PATH, UI_PREFIX } from './paths.js';
import { fromSameOrigin } from './same-origin.js';
import { newSecret, sameSecret } from './secrets.js';
import { clearUiCookie, LOGIN_CSRF_COOKIE, readUiCookie, SESSION_COOKIE, setUiCookie } from './session-cookie.js';
import type { UiAppOptions } from './ui-options.js';
import type { UiEnv } from './ui-env.js';
import { errorPage } from './views/error-page.js';
import { loginPage } from './views/login-page.js';

/** The form with a fresh CSRF token, whose twin rides in a cookie until the form is posted. */
function loginForm(c: Context<UiEnv>, status: 200 | 401 | 403, problem?: string): Response | Promise<Response> {
  const csrf = newSecret();
  setUiCookie(c, LOGIN_CSRF_COOKIE, csrf);
  return c.html(loginPage(csrf, problem), status);
}

function hasLiveSession(c: Context<UiEnv>, options: UiAppOptions): boolean {
  const secret = readUiCookie(c, SESSION_COOKIE);
  return secret !== undefined && options.sessions.find(secret).ok;
}

/** A failed login counts as a failed bearer auth of the client; past the limit it gets a 429 page. */
function failedLogin(c: Context<UiEnv>, options: UiAppOptions): Response | Promise<Response> {
  const client = clientAddress(c);
  const verdict = options.throttle?.fail(client);
  if (verdict?.retryAfterSeconds) {
    if (verdict.justThrottled)
      options.logger.warn({ error: 'too_many_attempts', client, path: LOGIN_PATH }, 'client throttled');
    c.header('Retry-After', String(verdict.retryAfterSeconds));
    return c.html(
      errorPage('Too many attempts', `Too many failed logins; retry in ${verdict.retryAfterSeconds} s.`),
      429,
    );
  }
  options.logger.warn({ error: 'invalid_token', client, path: LOGIN_PATH }, 'web view login failed');
  return loginForm(c, 401, 'That token is not accepted (unknown, revoked or expired).');
}

/** GET and POST /ui/login: a form that turns a token into a session. */
export function loginRoutes(options: UiAppOptions): Hono<UiEnv> {
  const routes = new Hono<UiEnv>();
  routes.get('/login', (c) => {
    if (!options.authenticate || hasLiveSession(c, options)) return c.redirect(UI_PREFIX, 303);
    return loginForm(c, 200);
  });
  routes.post('/login', async (c) => {
    if (!options.authenticate) return c.redirect(UI_PREFIX, 303);
    if (!fromSameOrigin(c)) return c.html(crossSiteRefusal(), 403);
    const expected = readUiCookie(c, LOGIN_CSRF_COOKIE);
    if (expected === undefined || !sameSecret(await presentedCsrf(c), expected)) {
      return loginForm(c, 403, 'The login form was stale or forged (wrong CSRF token); try again.');
    }
    const body = await c.req.parseBody();
    const token = typeof body.token === 'string' ? body.token.trim() : '';
    const judged = isB64Token(token) ? options.authenticate(token) : undefined;
    if (!judged?.ok) return failedLogin(c, options);
    const previous = readUiCookie(c, SESSION_COOKIE);
    if (previous !== undefined) options.sessions.end(previous);
    const { secret } = options.sessions.create(token, judged.identity.name);
    setUiCookie(c, SESSION_COOKIE, secret);
    clearUiCookie(c, LOGIN_CSRF_COOKIE);
    options.logger.info({ token_name: judged.identity.name, client: clientAddress(c) }, 'web view login');
    return c.redirect(UI_PREFIX, 303);
  });
  return routes;
}

/** POST /ui/logout, behind the session and CSRF checks: ends the session and its streams. */
export function logout(options: UiAppOptions) {
  return (c: Context<UiEnv>): Response => {
    const secret = readUiCookie(c, SESSION_COOKIE);
    if (secret !== undefined) options.sessions.end(secret);
    clearUiCookie(c, SESSION_COOKIE);
    options.logger.info({ token_name: c.get('identity').name, client: clientAddress(c) }, 'web view logout');
    return c.redirect(options.authenticate ? LOGIN_PATH : UI_PREFIX, 303);
  };
}
