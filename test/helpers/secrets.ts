import { expect } from 'vitest';

const secrets = new Set<string>();
const captured: { label: string; text: () => string }[] = [];

/** Every token a test sees is remembered, so the logs captured in the same file can be checked for it. */
export function rememberSecret(token: string): string {
  secrets.add(token);
  return token;
}

export function captureLog(label: string, text: () => string): void {
  captured.push({ label, text });
}

/**
 * Call in afterAll: no captured log line of any process started by this file holds any token seen. A worker runs
 * many files, so what was checked is forgotten; logs of earlier files that never checked are checked here too.
 */
export function expectNoSecretInLogs(): void {
  expect(secrets.size).toBeGreaterThan(0);
  for (const { label, text } of captured) {
    const log = text();
    for (const secret of secrets) {
      expect(log.includes(secret), `${label} logged a token`).toBe(false);
    }
  }
  secrets.clear();
  captured.length = 0;
}
