import { hash, randomBytes } from 'node:crypto';

/** RFC 6750 b64token: the characters a bearer token may carry in an Authorization header. */
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;
const MIN_TOKEN_LENGTH = 32;

export const TOKEN_RULE = `use at least ${MIN_TOKEN_LENGTH} characters of A-Z a-z 0-9 - . _ ~ + / (optionally ending in =), e.g. the output of \`openssl rand -base64 32\``;

/**
 * 256 random bits, base64url: 43 characters that need no escaping in a header, a shell or JSON. One draw in 64
 * starts with "-", which flag-style CLIs read as an option (`--oauth2Bearer "$T"`); such a draw is made again.
 */
export function generateToken(): string {
  for (;;) {
    const token = randomBytes(32).toString('base64url');
    if (!token.startsWith('-')) return token;
  }
}

export function isB64Token(value: string): boolean {
  return B64TOKEN.test(value);
}

export function isValidToken(value: string): boolean {
  return value.length >= MIN_TOKEN_LENGTH && isB64Token(value);
}

/**
 * Named tokens are stored, and compared with `timingSafeEqual`, as SHA-256 digests: the file never holds a usable
 * token, and both sides have the same length whatever was presented, so timing tells nothing about an expected one.
 */
export function tokenDigest(value: string): Buffer {
  // The one-shot hash: a Hash object per request cost more than the digest itself.
  return hash('sha256', value, 'buffer');
}
