import { html } from 'hono/html';
import { LOGIN_PATH } from '../paths.js';
import { csrfField, type Html, page } from './layout.js';

/** The token goes in the body of a POST, never in a URL: the form has no GET fallback. */
export function loginPage(csrf: string, problem?: string): Html {
  const note = problem ? html`<p class="error">${problem}</p>` : '';
  return page({
    title: 'Log in',
    body: html`<h1>Log in</h1>
${note}
<form method="post" action="${LOGIN_PATH}" class="login">
${csrfField(csrf)}
<label for="token">Token</label>
<input type="password" id="token" name="token" autocomplete="off" required autofocus>
<button>Log in</button>
</form>
<p class="hint">Use the shared token (<code>fleet-mcp token show</code> on the server's host) or a named token
(<code>fleet-mcp token create</code>). The browser keeps a session cookie, not the token.</p>`,
  });
}
