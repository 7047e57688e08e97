/** One word for a POSIX shell, whatever it holds: in single quotes, a single quote as '\''. */
export function shellQuote(word: string): string {
  return `'${word.replaceAll("'", `'\\''`)}'`;
}
