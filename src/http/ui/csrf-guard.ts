import type { Context, MiddlewareHandler } from 'hono';
import { fromSameOrigin } from './same-origin.js';
import { sameSecret } from './secrets.js';
import type { UiEnv } from './ui-env.js';
import { errorPage } from './views/error-page.js';

/** The CSRF token a form post carries: its hidden field, or the header a script may send instead. */
export async function presentedCsrf(c: Context): Promise<string> {
  const header = c.req.header('x-csrf-token');
  if (header !== undefined) return header;
  const body = await c.req.parseBody();
  return typeof body.csrf === 'string' ? body.csrf : '';
}

export function crossSiteRefusal(): ReturnType<typeof errorPage> {
  return errorPage(
    'Refused',
    'This request did not come from a page of this server (its Origin is missing or foreign).',
  );
}

/**
 * Every state-changing request of a session must come from a page of this server (same Origin) and carry the
 * session's CSRF token; either missing or wrong is a 403 before anything is done.
 */
export function csrfGuard(): MiddlewareHandler<UiEnv> {
  return async (c, next) => {
    if (!fromSameOrigin(c)) return c.html(crossSiteRefusal(), 403);
    if (!sameSecret(await presentedCsrf(c), c.get('uiSession').csrf)) {
      return c.html(
        errorPage('Refused', 'The form was stale or forged (wrong CSRF token); reload the page and try again.'),
        403,
      );
    }
    return next();
  };
}
