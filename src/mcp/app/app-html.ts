import { createHash } from 'node:crypto';
import type { AppAction } from './app-actions.js';
import { fleetApp } from './app-script.js';

const STYLE = `
:root { color-scheme: light dark; font: 14px system-ui, sans-serif; }
body { margin: 0; padding: 12px; }
h1 { font-size: 18px; margin: 4px 0 12px; }
h2 { font-size: 15px; margin: 16px 0 6px; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid #8884; vertical-align: top; }
pre { margin: 0; padding: 8px; max-height: 360px; overflow: auto; background: #8881; white-space: pre-wrap; word-break: break-all; }
button { font: inherit; cursor: pointer; margin: 0 8px 8px 0; }
button.link { background: none; border: none; padding: 0; color: LinkText; text-decoration: underline; }
.task { display: block; max-height: 4.5em; overflow: hidden; white-space: pre-wrap; word-break: break-all; }
.state { padding: 1px 6px; border-radius: 8px; background: #8882; font-size: 12px; }
.state-busy { background: #2a72; }
.state-failed { background: #d332; }
.add { color: #2a7; } .del { color: #d33; } .hunk { color: #88f; }
.notice:empty { display: none; } .error { color: #d33; }
`;

/** The script's source, called at once: it runs as the page's only script. */
const SCRIPT = `(${fleetApp.toString()})();`;

function sha256(text: string): string {
  return `'sha256-${createHash('sha256').update(text).digest('base64')}'`;
}

/**
 * Only this script and this style run, whatever the host allows: agent text that got parsed as HTML by mistake
 * still could not run a script, load anything or send anything anywhere.
 */
const CSP = [
  "default-src 'none'",
  `script-src ${sha256(SCRIPT)}`,
  `style-src ${sha256(STYLE)}`,
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

/** The fleet app as one HTML document; `actions` are the tools it offers as buttons (see allowedActions). */
export function fleetAppHtml(actions: readonly AppAction[]): string {
  // `<` escaped: the data island must not end its own script element, whatever it ever holds.
  const config = JSON.stringify({ actions }).replaceAll('<', '\\u003c');
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="${CSP}">`,
    '<title>fleet-mcp</title>',
    `<style>${STYLE}</style>`,
    `<script type="application/json" id="fleet-app-config">${config}</script>`,
    '</head><body>',
    '<nav id="fleet-app-bar"></nav><p id="fleet-app-notice" class="notice" role="status"></p><main id="fleet-app"></main>',
    `<script>${SCRIPT}</script>`,
    '</body></html>',
  ].join('\n');
}
