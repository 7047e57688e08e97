import { highlightSource, type SyntaxToken } from './syntax.js';

/** What a line of a unified diff is: added, removed, a hunk header, a file header, or context. */
export type DiffLineKind = 'added' | 'removed' | 'hunk' | 'meta' | 'context';

export interface DiffLine {
  kind: DiffLineKind;
  /** The first column (+, -, space) of a source line; the whole line is in `tokens` for the others. */
  marker: string;
  tokens: SyntaxToken[];
}

const META_PREFIXES = ['diff --git ', 'index ', '--- ', '+++ ', 'new file', 'deleted file', 'old mode', 'new mode'];
const MORE_META = ['similarity ', 'rename ', 'copy ', 'Binary files '];

function isMeta(line: string): boolean {
  return [...META_PREFIXES, ...MORE_META].some((prefix) => line.startsWith(prefix));
}

/**
 * One line of a file's diff, its source part coloured as the file's language. Inside a hunk a line is source even
 * when it looks like a header (a removed "-- x" reads "--- x").
 */
export function highlightDiffLine(line: string, family: string | undefined, inHunk: boolean): DiffLine {
  if (line.startsWith('@@')) return { kind: 'hunk', marker: '', tokens: [{ kind: 'text', text: line }] };
  if (!inHunk && isMeta(line)) return { kind: 'meta', marker: '', tokens: [{ kind: 'text', text: line }] };
  if (line.startsWith('\\ ')) return { kind: 'meta', marker: '', tokens: [{ kind: 'text', text: line }] };
  const marker = line.slice(0, 1);
  const kind: DiffLineKind = marker === '+' ? 'added' : marker === '-' ? 'removed' : 'context';
  return { kind, marker, tokens: highlightSource(line.slice(1), family) };
}

/** A file's lines, each coloured; a page that starts inside a hunk starts as source. */
export function highlightDiffFile(lines: readonly string[], family: string | undefined): DiffLine[] {
  let inHunk = lines[0] !== undefined && !lines[0].startsWith('diff --git ');
  return lines.map((line) => {
    if (line.startsWith('diff --git ')) inHunk = false;
    const highlighted = highlightDiffLine(line, family, inHunk);
    if (highlighted.kind === 'hunk') inHunk = true;
    return highlighted;
  });
}
