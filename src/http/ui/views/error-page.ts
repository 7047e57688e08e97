import { html } from 'hono/html';
import { UI_PREFIX } from '../paths.js';
import { type Html, page, type Viewer } from './layout.js';

/** A plain page that says what went wrong and where to go on; never a stack trace. */
export function errorPage(title: string, message: string, viewer?: Viewer): Html {
  return page({
    title,
    viewer,
    body: html`<h1>${title}</h1><p class="error">${message}</p><p><a href="${UI_PREFIX}">Back to the fleet</a></p>`,
  });
}
