import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { build } from 'esbuild';
import type { Page } from 'playwright-core';

/**
 * The host side of an MCP Apps client, in the page: ext-apps' AppBridge talks to the app in a sandboxed iframe, and
 * hands each tools/call it forwards to `hostCallTool`, which the test binds to a real MCP client in Node.
 */
const HOST_SCRIPT = `
import { AppBridge, PostMessageTransport } from '@modelcontextprotocol/ext-apps/app-bridge';
window.showApp = async (html, toolArguments) => {
  const iframe = document.createElement('iframe');
  iframe.setAttribute('sandbox', 'allow-scripts');
  iframe.id = 'app';
  document.body.append(iframe);
  const bridge = new AppBridge(null, { name: 'fleet-test-host', version: '1.0.0' }, { serverTools: {} });
  bridge.oncalltool = (params) => window.hostCallTool(params);
  bridge.onsizechange = ({ height }) => { if (height) iframe.style.height = height + 'px'; };
  bridge.oninitialized = () => bridge.sendToolInput({ arguments: toolArguments });
  await bridge.connect(new PostMessageTransport(iframe.contentWindow, iframe.contentWindow));
  iframe.srcdoc = html;
};
`;

const HOST_PAGE = `<!doctype html><html><head><meta charset="utf-8"><title>MCP Apps test host</title>
<style>body { margin: 0; } iframe { border: 0; width: 100%; height: 600px; }</style>
<script src="/host.js"></script></head><body></body></html>`;

export interface AppHost {
  url: string;
  close(): Promise<void>;
}

/** Serves the host page on loopback; its script is ext-apps' AppBridge, bundled here from node_modules. */
export async function startAppHost(): Promise<AppHost> {
  const bundled = await build({
    stdin: { contents: HOST_SCRIPT, resolveDir: process.cwd() },
    bundle: true,
    platform: 'browser',
    format: 'iife',
    write: false,
    logLevel: 'warning',
  });
  const script = bundled.outputFiles[0]!.text;
  const server: Server = createServer((request, response) => {
    const isScript = request.url === '/host.js';
    response.writeHead(200, { 'Content-Type': isScript ? 'text/javascript' : 'text/html' });
    response.end(isScript ? script : HOST_PAGE);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** What the host forwards a tools/call to: a real MCP client's callTool. */
export type HostCallTool = (params: { name: string; arguments?: Record<string, unknown> }) => Promise<unknown>;

/**
 * Opens the host page and shows the app `html` in it as the result of a tool called with `toolArguments`; the
 * app's tool calls go to `callTool`. Returns the app's frame.
 */
export async function showApp(
  page: Page,
  host: AppHost,
  app: { html: string; callTool: HostCallTool; toolArguments: Record<string, unknown> },
) {
  await page.exposeFunction('hostCallTool', app.callTool);
  await page.goto(host.url);
  await page.evaluate(
    ([html, toolArguments]) =>
      (window as unknown as { showApp(html: unknown, args: unknown): Promise<void> }).showApp(html, toolArguments),
    [app.html, app.toolArguments] as const,
  );
  return page.frameLocator('#app');
}
