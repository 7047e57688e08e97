/** Writes values into unit files so systemd reads back exactly the given text (systemd.syntax(7), systemd.unit(5)). */

const NEEDS_QUOTES = /[\s"'\\;]/;

/** `%` starts a specifier everywhere in a unit file; `%%` is a literal percent sign. */
function escapeSpecifiers(text: string): string {
  return text.replaceAll('%', '%%');
}

/** One word of a setting that splits on spaces (ExecStart=, Environment=, ReadWritePaths=): quoted when needed. */
export function unitWord(text: string): string {
  const escaped = escapeSpecifiers(text);
  if (text.length > 0 && !NEEDS_QUOTES.test(text)) return escaped;
  return `"${escaped.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;
}

/** A word of ExecStart=, where `$NAME` would also be replaced by an environment variable. */
export function execWord(text: string): string {
  return unitWord(text).replaceAll('$', '$$$$');
}
