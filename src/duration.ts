const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
type Unit = keyof typeof UNIT_MS;

const DURATION = /^(?:\d+(?:ms|s|m|h|d))+$/;
const PART = /(\d+)(ms|s|m|h|d)/g;

/**
 * The longest duration accepted anywhere: 24 days. Node's timers hold at most 2^31-1 ms (about 24.8 days) and fire
 * after 1 ms when given more, so a longer timeout would end a task at once instead of never.
 */
export const MAX_DURATION_MS = 24 * UNIT_MS.d;

export const DURATION_RULE = 'a duration such as 90s, 10m, 2h or 1h30m, at most 24d';

/**
 * Parses "90s", "10m", "2h", "1h30m" into milliseconds; `undefined` when the text is not such a duration or exceeds
 * `maxMs` (24d unless the duration never becomes a timer, such as a token's expiry date).
 */
export function parseDuration(text: string, maxMs = MAX_DURATION_MS): number | undefined {
  const input = text.trim();
  if (!DURATION.test(input)) return undefined;
  let total = 0;
  for (const [, amount, unit] of input.matchAll(PART)) total += Number(amount) * UNIT_MS[unit as Unit];
  return total <= maxMs ? total : undefined;
}
