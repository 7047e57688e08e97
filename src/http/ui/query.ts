import type { Context } from 'hono';
import { UiError } from './ui-error.js';

/** A whole-number query parameter, or undefined when absent; anything else is a 400 that names it. */
export function queryNumber(c: Context, name: string): number | undefined {
  const text = c.req.query(name);
  if (text === undefined || text === '') return undefined;
  if (!/^\d{1,15}$/.test(text)) throw new UiError(400, 'Bad request', `${name} must be a whole number.`);
  return Number(text);
}
