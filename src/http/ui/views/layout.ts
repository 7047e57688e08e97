import { html } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';
import { ASSETS_PATH, LOGOUT_PATH, UI_PREFIX } from '../paths.js';

/** What every page is rendered from: hono's `html` escapes each value put in it, so agent text stays text. */
export type Html = HtmlEscapedString | Promise<HtmlEscapedString>;

/** Who is looking, for the header's logout form; absent on the login page and error pages before a session. */
export interface Viewer {
  tokenName: string;
  csrf: string;
  /** False with auth disabled: there is nobody to log out. */
  canLogOut: boolean;
}

export interface PageOptions {
  title: string;
  viewer?: Viewer;
  /** The event stream whose events make the page fetch itself again and replace its live part. */
  events?: string;
  body: Html;
  /** Forms kept out of the live part, so a refresh does not reset what is being filled in. */
  aside?: Html | '';
}

export function csrfField(csrf: string): Html {
  return html`<input type="hidden" name="csrf" value="${csrf}">`;
}

function header(viewer: Viewer | undefined): Html {
  if (!viewer) return html`<header><a href="${UI_PREFIX}" class="brand">fleet-mcp</a></header>`;
  const logout = viewer.canLogOut
    ? html`<form method="post" action="${LOGOUT_PATH}" class="inline">${csrfField(viewer.csrf)}<button>Log out</button></form>`
    : '';
  return html`<header><a href="${UI_PREFIX}" class="brand">fleet-mcp</a>
<span class="who">token: ${viewer.tokenName}</span>${logout}</header>`;
}

export function page(options: PageOptions): Html {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${options.title} · fleet-mcp</title>
<link rel="stylesheet" href="${ASSETS_PATH}/app.css">
<script src="${ASSETS_PATH}/app.js" defer></script>
</head>
<body data-events="${options.events ?? ''}">
${header(options.viewer)}
${options.aside ?? ''}
<main id="live">
${options.body}
</main>
</body>
</html>
`;
}
