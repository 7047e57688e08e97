import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { trimTrailingSlash } from 'hono/trailing-slash';
import { isExpectedError } from '../../mcp/expected-errors.js';
import { logInternalError } from '../../mcp/internal-error.js';
import { logText } from '../../log-text.js';
import { actionRoutes } from './action-routes.js';
import { assetRoutes } from './assets.js';
import { csrfGuard } from './csrf-guard.js';
import { eventStream } from './event-stream.js';
import { loginRoutes, logout } from './login-routes.js';
import { pageRoutes } from './page-routes.js';
import { securityHeaders } from './security-headers.js';
import { sessionAuth } from './session-auth.js';
import { expectedErrorStatus, UiError } from './ui-error.js';
import type { UiAppOptions } from './ui-options.js';
import type { UiEnv } from './ui-env.js';
import { errorPage } from './views/error-page.js';

/** A form post is a CSRF token, a token or a checkbox: far below this. */
const MAX_FORM_BYTES = 16 * 1024;

/**
 * The web view, mounted at /ui behind the host guard and before the bearer auth of /mcp: its own login turns a token
 * into a session cookie. Every answer carries the strict CSP; every error is a plain page.
 */
export function createUiApp(options: UiAppOptions): Hono<UiEnv> {
  const ui = new Hono<UiEnv>();
  ui.use('*', securityHeaders());
  // `/ui/` is what people type; the pages live at `/ui`, so a 404 there is sent on without the slash.
  ui.use('*', trimTrailingSlash());
  ui.route('/assets', assetRoutes());
  ui.use(
    '*',
    bodyLimit({
      maxSize: MAX_FORM_BYTES,
      onError: (c) => c.html(errorPage('Too large', `Forms are limited to ${MAX_FORM_BYTES} bytes.`), 413),
    }),
  );
  ui.route('/', loginRoutes(options));
  ui.use('*', sessionAuth(options));
  ui.post('/logout', csrfGuard(), logout(options));
  ui.get('/events', (c) => eventStream(c, options));
  ui.route('/', pageRoutes(options));
  ui.route('/', actionRoutes(options));
  ui.all('*', (c) => c.html(errorPage('Not found', `No page at ${c.req.path}.`), 404));
  ui.onError((error, c) => {
    if (error instanceof UiError) return c.html(errorPage(error.title, error.message), error.status);
    if (isExpectedError(error)) return c.html(errorPage('Refused', error.message), expectedErrorStatus(error));
    const id = logInternalError(error, {
      logger: options.logger,
      tokenName: c.get('identity')?.name,
      tool: undefined,
      what: `web view request ${logText(c.req.method)} ${logText(c.req.path)} failed`,
    });
    return c.html(
      errorPage('Server error', `The server failed on this page (error id ${id}); its log has the details.`),
      500,
    );
  });
  return ui;
}
