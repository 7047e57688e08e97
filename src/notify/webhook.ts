import { createHmac, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { WebhookSettings } from './notify-config.js';

export const SIGNATURE_HEADER = 'x-fleet-signature';
export const TIMESTAMP_HEADER = 'x-fleet-timestamp';
export const DELIVERY_HEADER = 'x-fleet-delivery';

// The longest wait between two attempts, however many came before.
const MAX_RETRY_MS = 60_000;
// How long one attempt may take, answer included.
const ATTEMPT_TIMEOUT_MS = 10_000;

export interface DeliveryOptions {
  /** Waits between attempts; injectable so a test need not wait out real backoff. */
  sleep?: (ms: number) => Promise<unknown>;
  /** Seconds since the epoch, for the signed timestamp. */
  now?: () => number;
}

export interface DeliveryResult {
  delivered: boolean;
  attempts: number;
  /** The last failure: an HTTP status or a network error, without the URL (its path may be a secret). */
  lastError: string | null;
}

/**
 * The signature over `${timestamp}.${body}`: a receiver recomputes it with the shared secret, compares in constant
 * time, and refuses a timestamp too old, so a recorded delivery cannot be replayed later.
 */
export function signPayload(secret: string, timestamp: number, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/**
 * POSTs the body, signed, retrying a network error, a 429 or a 5xx with doubling waits, at most maxAttempts times.
 * Every attempt is signed afresh with its own timestamp, under one delivery id a receiver can deduplicate by.
 * Redirects are not followed: the signed payload goes to the configured URL only.
 */
export async function deliverWebhook(
  settings: WebhookSettings,
  body: string,
  options: DeliveryOptions = {},
): Promise<DeliveryResult> {
  const wait = options.sleep ?? sleep;
  const now = options.now ?? (() => Math.floor(Date.now() / 1000));
  const delivery = randomUUID();
  let lastError: string | null = null;
  for (let attempt = 1; attempt <= settings.maxAttempts; attempt += 1) {
    if (attempt > 1) await wait(Math.min(settings.firstRetryMs * 2 ** (attempt - 2), MAX_RETRY_MS));
    const timestamp = now();
    try {
      const response = await fetch(settings.url, {
        method: 'POST',
        redirect: 'manual',
        signal: AbortSignal.timeout(ATTEMPT_TIMEOUT_MS),
        headers: {
          'content-type': 'application/json',
          'user-agent': 'fleet-mcp',
          [TIMESTAMP_HEADER]: String(timestamp),
          [SIGNATURE_HEADER]: signPayload(settings.secret, timestamp, body),
          [DELIVERY_HEADER]: delivery,
        },
        body,
      });
      await response.body?.cancel();
      if (response.ok) return { delivered: true, attempts: attempt, lastError: null };
      lastError = `HTTP ${response.status}`;
      if (!isRetryable(response.status)) return { delivered: false, attempts: attempt, lastError };
    } catch (error) {
      lastError = networkError(error);
    }
  }
  return { delivered: false, attempts: settings.maxAttempts, lastError };
}

function isRetryable(status: number): boolean {
  return status === 429 || status >= 500;
}

/** fetch's error names the cause; its message may carry the URL, which is left out. */
function networkError(error: unknown): string {
  const cause = (error as { cause?: { code?: string } }).cause;
  if (cause?.code) return cause.code;
  return (error as Error).name === 'TimeoutError'
    ? `no answer within ${ATTEMPT_TIMEOUT_MS / 1000} s`
    : (error as Error).name;
}
