// Helpers the structured-output parsers share to turn JSON events into short lines a person reads.

const MAX_LINE = 200;

/** A JSON object from one line of output, or null when the line is not one (a CLI may print plain text too). */
export function parseJsonObject(line: string): Record<string, unknown> | null {
  if (!line.startsWith('{')) return null;
  try {
    const value: unknown = JSON.parse(line);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : null;
  } catch {
    return null;
  }
}

/** Text squeezed onto one line and cut to a readable length, saying how much was left out. */
export function oneLine(text: string, max = MAX_LINE): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length <= max ? flat : `${flat.slice(0, max)}… (${flat.length - max} more characters)`;
}

/** A tool's input in one line: the field that says what it does when there is one, else the whole input as JSON. */
export function describeToolInput(input: unknown): string {
  if (typeof input !== 'object' || input === null) return oneLine(String(input ?? ''));
  const fields = input as Record<string, unknown>;
  for (const key of ['command', 'file_path', 'filePath', 'path', 'pattern', 'url', 'query', 'description']) {
    if (typeof fields[key] === 'string') return oneLine(fields[key]);
  }
  return oneLine(JSON.stringify(input));
}

/** A tool's result: its first line and how many more there were. */
export function describeToolResult(text: string): string {
  const lines = text.split('\n').filter((line) => line.trim() !== '');
  if (lines.length === 0) return '(no output)';
  const more = lines.length > 1 ? ` (+${lines.length - 1} more lines)` : '';
  return `${oneLine(lines[0]!)}${more}`;
}

export function str(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

export function obj(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

export function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}
