import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { deliverWebhook } from '../../src/notify/webhook.js';
import { startReceiver, verifySignature, type Receiver } from './receiver.js';

// deliverWebhook against real HTTP receivers on loopback; the waits between attempts are recorded, not slept.

const SECRET = 'test-secret-0123456789abcdef';
const receivers: Receiver[] = [];

afterEach(async () => {
  for (const receiver of receivers.splice(0)) await receiver.close();
});

async function receiver(status?: (n: number) => number): Promise<Receiver> {
  const started = await startReceiver(SECRET, status);
  receivers.push(started);
  return started;
}

function recordWaits(): { waits: number[]; sleep: (ms: number) => Promise<void> } {
  const waits: number[] = [];
  return { waits, sleep: async (ms) => void waits.push(ms) };
}

describe('deliverWebhook', () => {
  it('signs the raw body with its timestamp, so the receiver can check it and refuse a replay', async () => {
    const hook = await receiver();
    const body = JSON.stringify({ event: 'task_ended' });
    expect(await deliverWebhook({ url: hook.url, secret: SECRET, maxAttempts: 3, firstRetryMs: 10 }, body)).toEqual({
      delivered: true,
      attempts: 1,
      lastError: null,
    });
    const [got] = hook.received;
    expect(got).toMatchObject({ body, signatureValid: true });
    expect(got!.headers['x-fleet-signature']).toMatch(/^sha256=[0-9a-f]{64}$/);
    expect(verifySignature('another-secret-0123456789', got!.headers, body)).toBe(false);
    expect(verifySignature(SECRET, got!.headers, body.replace('ended', 'ENDED'))).toBe(false);
    // The same request an hour later is refused, whatever it says.
    expect(verifySignature(SECRET, got!.headers, body, Date.now() / 1000 + 3600)).toBe(false);
  });

  it('retries a 5xx with doubling waits under one delivery id, each attempt signed afresh, and stops at the bound', async () => {
    const hook = await receiver(() => 503);
    const { waits, sleep } = recordWaits();
    const result = await deliverWebhook({ url: hook.url, secret: SECRET, maxAttempts: 4, firstRetryMs: 100 }, '{}', {
      sleep,
    });
    expect(result).toEqual({ delivered: false, attempts: 4, lastError: 'HTTP 503' });
    expect(waits).toEqual([100, 200, 400]);
    expect(hook.received).toHaveLength(4);
    expect(new Set(hook.received.map((got) => got.headers['x-fleet-delivery'])).size).toBe(1);
    expect(hook.received.every((got) => got.signatureValid)).toBe(true);
  });

  it('a receiver that recovers gets the notice; waits are capped at a minute', async () => {
    const hook = await receiver((n) => (n < 3 ? 500 : 200));
    const { waits, sleep } = recordWaits();
    expect(
      await deliverWebhook({ url: hook.url, secret: SECRET, maxAttempts: 5, firstRetryMs: 40_000 }, '{}', { sleep }),
    ).toMatchObject({ delivered: true, attempts: 3 });
    expect(waits).toEqual([40_000, 60_000]);
  });

  it('a 4xx other than 429 is not retried, and a redirect is not followed', async () => {
    const refusing = await receiver(() => 401);
    expect(
      await deliverWebhook(
        { url: refusing.url, secret: SECRET, maxAttempts: 5, firstRetryMs: 10 },
        '{}',
        recordWaits(),
      ),
    ).toMatchObject({ delivered: false, attempts: 1, lastError: 'HTTP 401' });
    const target = await receiver();
    const redirect = createServer((_request, response) => response.writeHead(307, { location: target.url }).end());
    await new Promise<void>((resolve) => redirect.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(redirect.address() as AddressInfo).port}/`;
      expect(
        await deliverWebhook({ url, secret: SECRET, maxAttempts: 2, firstRetryMs: 10 }, '{}', recordWaits()),
      ).toMatchObject({ delivered: false, lastError: 'HTTP 307' });
      expect(target.received).toEqual([]);
    } finally {
      redirect.close();
    }
  });

  it('a receiver that is not there is retried, and the error names no URL', async () => {
    const gone = await receiver();
    await gone.close();
    receivers.splice(0);
    const result = await deliverWebhook(
      { url: `${gone.url}?key=secret-path`, secret: SECRET, maxAttempts: 2, firstRetryMs: 10 },
      '{}',
      recordWaits(),
    );
    expect(result).toEqual({ delivered: false, attempts: 2, lastError: 'ECONNREFUSED' });
  });
});
