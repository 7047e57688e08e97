/**
 * The secrets as the task script reads them on its stdin: one `NAME=<base64 of the value>` line each, then an empty
 * line. Base64 keeps a value's newlines and `=` from breaking the format.
 */
export function secretLines(secrets: Record<string, string>): string {
  const lines = Object.entries(secrets).map(
    ([name, value]) => `${name}=${Buffer.from(value, 'utf8').toString('base64')}\n`,
  );
  return `${lines.join('')}\n`;
}

/** Names a shell and the engines accept as a variable and as a secret file: the task script exports them. */
export function checkSecretNames(secrets: Record<string, string>): string | null {
  const bad = Object.keys(secrets).find((name) => !/^[A-Za-z_][A-Za-z0-9_]*$/.test(name));
  return bad === undefined ? null : `secret name "${bad}" is not a variable name: use letters, digits and _ only`;
}
