// Authorization header values for fuzzing the bearer check, and the verdict the contract expects for each: shared by
// scripts/fuzz-auth.mjs, which sends them to a running server, and the test that also judges them in-process.
import { randomBytes, randomInt } from 'node:crypto';

// Header bytes a client can put on the wire past Node's parser: tab, visible ASCII and obs-text.
const HEADER_BYTES = [
  9,
  ...Array.from({ length: 95 }, (_, i) => 32 + i),
  ...Array.from({ length: 128 }, (_, i) => 128 + i),
];
const pick = (list) => list[randomInt(list.length)];
const randomText = (length) => Buffer.from(Array.from({ length }, () => pick(HEADER_BYTES))).toString('latin1');
const flipCase = (text) => [...text].map((ch) => (randomInt(2) ? ch.toUpperCase() : ch.toLowerCase())).join('');

function mutate(value) {
  const at = randomInt(value.length);
  switch (randomInt(4)) {
    case 0:
      return value.slice(0, at) + pick(['A', 'z', '0', '-', '_', '.', '~', '+', '/']) + value.slice(at + 1);
    case 1:
      return value.slice(0, at) + value.slice(at + 1);
    case 2:
      return value.slice(0, at) + pick(['A', '=', ' ', '%', 'é']) + value.slice(at);
    default:
      return flipCase(value);
  }
}

const GENERATORS = (token) => [
  () => randomText(randomInt(0, 120)),
  () => `Bearer ${randomText(randomInt(1, 80))}`,
  () => `Bearer ${mutate(token)}`,
  () => `Bearer ${token.slice(0, randomInt(0, token.length))}`,
  () => `Bearer ${token}${randomText(randomInt(1, 4))}`,
  () =>
    `${pick(['Bearer', 'bearer', 'BEARER', 'Basic', 'Token', 'Bearer:', 'Bearer=', 'Bear', 'Bearerx'])}${pick([' ', '  ', '\t', '', ' \t '])}${token}`,
  () => `${pick([' ', '\t', ''])}Bearer ${token}${pick([' ', '\t', ' x', ''])}`,
  () => `Bearer ${randomBytes(randomInt(20, 40)).toString(pick(['base64', 'base64url', 'hex']))}`,
  () => `Bearer ${'A'.repeat(randomInt(1000, 8000))}`,
  () => `${flipCase('bearer')} ${token}`,
];

/** A generated Authorization header value: near misses of `Bearer <token>`, the token itself, and noise. */
export function authHeaderValue(token) {
  return pick(GENERATORS(token))();
}

/** What the contract says: exactly one `Bearer <token>`, scheme in any case, nothing else. */
export function shouldAccept(header, token) {
  const match = /^(\S+) +(\S+)$/.exec(header.replace(/^[ \t]+|[ \t]+$/g, ''));
  return match !== null && match[1].toLowerCase() === 'bearer' && match[2] === token;
}
