// A loopback HTTP server that records every request before a handler answers it, so checks can inspect earlier turns.
import { createServer } from 'node:http';

/**
 * @param {(request: { method: string, path: string, headers: object, body: unknown }, res: import('node:http').ServerResponse) => void} handle
 * @returns {Promise<{ url: string, requests: object[], close(): Promise<void> }>}
 */
export async function startRecorder(handle) {
  const requests = [];
  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      let body = text;
      try {
        body = text ? JSON.parse(text) : null;
      } catch {
        // Not JSON: recorded as text.
      }
      const request = { method: req.method, path: req.url, headers: req.headers, body };
      requests.push(request);
      try {
        handle(request, res);
      } catch (error) {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ type: 'error', error: { type: 'api_error', message: `mock: ${error.message}` } }));
      }
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
