/** Writes values into unit files so systemd reads back exactly the given text (systemd.syntax(7), systemd.unit(5)). */
import { ConfigError } from '../config.js';

const NEEDS_QUOTES = /[\s"'\\;]/;
// A newline ends a setting and starts the next one, so a value with one could add any directive (ExecStartPre=+...).
// No quoting survives that reliably; every control character is refused instead.
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it refuses
const CONTROL_CHARACTER = /[\x00-\x1f\x7f]/;

/** Refuses a value that cannot be written into a unit file as one setting; `what` names it for the person. */
export function assertPrintable(text: string, what: string): void {
  const match = CONTROL_CHARACTER.exec(text);
  if (!match) return;
  const code = `\\x${match[0].charCodeAt(0).toString(16).padStart(2, '0')}`;
  throw new ConfigError(
    `cannot write ${what} ${JSON.stringify(text)} into a systemd unit: it contains the control character ${code}, ` +
      'which could add settings of its own; use a value without control characters',
  );
}

/** `%` starts a specifier everywhere in a unit file; `%%` is a literal percent sign. */
function escapeSpecifiers(text: string): string {
  return text.replaceAll('%', '%%');
}

/** One word of a setting that splits on spaces (ExecStart=, Environment=, ReadWritePaths=): quoted when needed. */
export function unitWord(text: string, what: string): string {
  assertPrintable(text, what);
  const escaped = escapeSpecifiers(text);
  if (text.length > 0 && !NEEDS_QUOTES.test(text)) return escaped;
  return `"${escaped.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;
}

/** A word of ExecStart=, where `$NAME` would also be replaced by an environment variable. */
export function execWord(text: string, what: string): string {
  return unitWord(text, what).replaceAll('$', '$$$$');
}
