import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshClientAddress, send } from '../helpers/http-request.js';
import { rawRequest, requestHead } from '../helpers/raw-http.js';
import { cleanupSandboxes, createSandbox } from '../helpers/sandbox.js';
import { expectNoSecretInLogs, rememberSecret } from '../helpers/secrets.js';
import { type InProcessServer, startInProcessServer, stopInProcessServers } from '../helpers/in-process-server.js';

let server: InProcessServer;
let token: string;

beforeAll(async () => {
  const sandbox = createSandbox();
  server = await startInProcessServer(sandbox, { env: { FLEET_MCP_AUTH_ENABLED: 'true' } });
  token = rememberSecret(JSON.parse(readFileSync(sandbox.tokenFile, 'utf8')).value);
});

afterAll(async () => {
  await stopInProcessServers();
  expectNoSecretInLogs();
  cleanupSandboxes();
});

const MCP_POST = {
  method: 'POST',
  headers: { 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream' },
  body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} }),
};

function authWarnings(): string[] {
  return server
    .output()
    .split('\n')
    .filter((line) => line.includes('"authentication failed"') || line.includes('"client throttled"'));
}

/**
 * After a client's probes, one wrong token to /mcp from it is still a plain 401, not 429: no probe counted toward
 * the throttle. Its warning, once written, is the client's only one: the log keeps order, so none came before it.
 */
async function expectOnlyWarningIsTheLastRefusal(client: string): Promise<void> {
  const refused = await send(server.mcpUrl, {
    ...MCP_POST,
    headers: { ...MCP_POST.headers, Authorization: 'Bearer wrong-token' },
    localAddress: client,
  });
  expect(refused.status).toBe(401);
  await expect
    .poll(() => authWarnings().filter((line) => line.includes(`"client":"${client}"`)))
    .toEqual([expect.stringContaining('"path":"/mcp"')]);
}

// Every request comes from a fresh loopback address, so the failed-auth throttle never interferes here.
async function postMcp(authorization?: string): Promise<Response> {
  const headers = { ...MCP_POST.headers, ...(authorization === undefined ? {} : { Authorization: authorization }) };
  return send(server.mcpUrl, { ...MCP_POST, headers });
}

async function expectRefusal(response: Response, code: string, challenge: string): Promise<void> {
  expect(response.status).toBe(401);
  expect(response.headers.get('content-type')).toMatch(/^application\/json/);
  expect(response.headers.get('cache-control')).toBe('no-store');
  expect(response.headers.get('www-authenticate')).toBe(challenge);
  const body = (await response.json()) as Record<string, unknown>;
  expect(Object.keys(body).sort()).toEqual(['error', 'error_description']);
  expect(body.error).toBe(code);
  // The description is often all a client shows its user (Claude Code, mcp-remote): it says how to get a token.
  expect(body.error_description).toContain('`fleet-mcp token show`');
}

const MISSING = 'Bearer realm="fleet-mcp"';
const MALFORMED = 'Bearer realm="fleet-mcp", error="invalid_request"';
const INVALID = 'Bearer realm="fleet-mcp", error="invalid_token"';

describe('the error table', () => {
  it('answers missing_token without an Authorization header', async () => {
    await expectRefusal(await postMcp(), 'missing_token', MISSING);
  });

  it.each([
    ['another scheme', 'Basic dXNlcjpwYXNz'],
    ['the scheme alone', 'Bearer'],
    ['the scheme and a space', 'Bearer '],
    ['an empty value', ''],
    ['a token with %', 'Bearer abc%20def'],
    ['two tokens', 'Bearer abc def'],
    ['a scheme glued to the token', 'Bearerabcdef'],
  ])('answers malformed_header for %s', async (_name, header) => {
    await expectRefusal(await postMcp(header), 'malformed_header', MALFORMED);
  });

  it('answers invalid_token for a wrong token of the right length', async () => {
    const wrong = token.slice(0, -1) + (token.endsWith('A') ? 'B' : 'A');
    await expectRefusal(await postMcp(`Bearer ${wrong}`), 'invalid_token', INVALID);
  });

  it.each([1, 42, 44, 200])('answers invalid_token for a wrong token of length %i', async (length) => {
    await expectRefusal(await postMcp(`Bearer ${'x'.repeat(length)}`), 'invalid_token', INVALID);
  });

  it('answers invalid_token for a prefix of the real token', async () => {
    await expectRefusal(await postMcp(`Bearer ${token.slice(0, 20)}`), 'invalid_token', INVALID);
  });

  it('accepts the token with the scheme in any case', async () => {
    for (const scheme of ['Bearer', 'bearer', 'BEARER']) {
      const response = await postMcp(`${scheme} ${token}`);
      expect(response.status).toBe(200);
      const body = (await response.json()) as { result: { tools: { name: string }[] } };
      expect(body.result.tools.map((tool) => tool.name)).toContain('list_agent_projects');
    }
  });
});

describe('header bytes fetch cannot send', () => {
  it.each([
    ['non-ASCII characters', Buffer.from('Authorization: Bearer tökén-value-that-is-long-enough-000', 'latin1')],
    ['UTF-8 bytes', Buffer.concat([Buffer.from('Authorization: Bearer '), Buffer.from('токен-значение', 'utf8')])],
    [
      'high binary bytes',
      Buffer.concat([Buffer.from('Authorization: Bearer '), Buffer.from([0x80, 0xff, 0xfe, 0x90])]),
    ],
  ])('answers 401 malformed_header for %s', async (_name, line) => {
    const response = await rawRequest(server.port, requestHead('/mcp', [line]));
    expect(response.status).toBe(401);
    expect(JSON.parse(response.body).error).toBe('malformed_header');
  });

  it('answers 401 malformed_header for a repeated header, even when one copy holds the token', async () => {
    const response = await rawRequest(
      server.port,
      requestHead('/mcp', [`Authorization: Bearer ${token}`, 'Authorization: Bearer other-token-value']),
    );
    expect(response.status).toBe(401);
    expect(response.headers['www-authenticate']).toBe(MALFORMED);
    expect(JSON.parse(response.body).error).toBe('malformed_header');
  });

  it('never answers 5xx to control bytes in the header', async () => {
    const response = await rawRequest(
      server.port,
      requestHead('/mcp', [Buffer.from([...Buffer.from('Authorization: Bearer a'), 0x01, 0x7f])]),
    );
    expect(response.status).toBeLessThan(500);
  });
});

describe('routes', () => {
  it('answers /health without a token and with no secret in it', async () => {
    const response = await send(`${server.baseUrl}/health`);
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(JSON.parse(text)).toEqual({ status: 'healthy', service: 'fleet-mcp', version: expect.any(String) });
    expect(text).not.toContain(token);
  });

  it('answers OAuth discovery probes with a JSON 404 naming the token, no warning, no throttle cost, token or not', async () => {
    const probes = [
      '/.well-known/oauth-protected-resource',
      '/.well-known/oauth-protected-resource/mcp',
      '/.well-known/oauth-authorization-server',
      '/.well-known/oauth-authorization-server/mcp',
      '/.well-known/openid-configuration',
      '/mcp/.well-known/openid-configuration',
      '/mcp/.well-known/oauth-protected-resource',
    ];
    const client = freshClientAddress();
    // More probes from one address than the throttle allows failures, half of them with a wrong token as mcp-remote
    // sends its configured header along: none may count as one.
    for (const path of probes) {
      for (const authorization of [undefined, 'Bearer wrong-token']) {
        for (const method of ['GET', 'POST']) {
          const headers = authorization ? { Authorization: authorization } : undefined;
          const response = await send(`${server.baseUrl}${path}`, { method, headers, localAddress: client });
          expect(response.status, `${method} ${path}`).toBe(404);
          expect(response.headers.get('content-type')).toMatch(/^application\/json/);
          expect(response.headers.get('www-authenticate')).toBeNull();
          const body = (await response.json()) as { error: string; error_description: string };
          expect(body.error).toBe('not_found');
          expect(body.error_description).toContain('no OAuth authorization server');
          expect(body.error_description).toContain('`fleet-mcp token show`');
        }
      }
    }
    await expectOnlyWarningIsTheLastRefusal(client);
  });

  // Where Claude Code and mcp-remote end their OAuth fallback: they show this answer's body to their user.
  const OAUTH_ENDPOINTS = ['/register', '/authorize', '/token'];

  it('answers the OAuth endpoints without a token with the 401 missing_token and its hint, no warning, no throttle cost', async () => {
    const client = freshClientAddress();
    for (const path of [...OAUTH_ENDPOINTS, ...OAUTH_ENDPOINTS]) {
      for (const method of ['GET', 'POST']) {
        await expectRefusal(
          await send(`${server.baseUrl}${path}`, { method, localAddress: client }),
          'missing_token',
          MISSING,
        );
      }
    }
    await expectOnlyWarningIsTheLastRefusal(client);
  });

  it('judges a token sent to an OAuth endpoint as /mcp does: a wrong one is a failed authentication, a right one is told there is no OAuth', async () => {
    await expectRefusal(
      await send(`${server.baseUrl}/register`, { method: 'POST', headers: { Authorization: 'Bearer wrong-token' } }),
      'invalid_token',
      INVALID,
    );
    // The log line is written after the answer; the only one for /register, where tokenless posts are not logged.
    await expect.poll(() => authWarnings().filter((line) => line.includes('"path":"/register"'))).toHaveLength(1);
    const accepted = await send(`${server.baseUrl}/register`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}` },
    });
    expect(accepted.status).toBe(404);
    expect(((await accepted.json()) as { error_description: string }).error_description).toContain(
      'no OAuth authorization server',
    );
  });

  it('refuses GET and DELETE on /mcp without a token before routing', async () => {
    for (const method of ['GET', 'DELETE']) {
      await expectRefusal(await send(server.mcpUrl, { method }), 'missing_token', MISSING);
    }
  });

  it('refuses any other path without a token, and answers 404 with it', async () => {
    await expectRefusal(await send(`${server.baseUrl}/anything`), 'missing_token', MISSING);
    const response = await send(`${server.baseUrl}/anything`, { headers: { Authorization: `Bearer ${token}` } });
    expect(response.status).toBe(404);
  });

  it('answers GET on /mcp with the token by 405, as the server keeps no sessions', async () => {
    const response = await send(server.mcpUrl, { headers: { Authorization: `Bearer ${token}` } });
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('POST');
  });
});
