import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** A fresh random secret (a session's cookie value, a CSRF token): 256 bits, base64url. */
export function newSecret(): string {
  return randomBytes(32).toString('base64url');
}

export function secretDigest(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

/** Compares two secrets in constant time: their digests have one length, whatever was presented. */
export function sameSecret(presented: string, expected: string): boolean {
  const a = createHash('sha256').update(presented).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}
