/** One file's section of a unified diff: its path (as the `diff --git` line names it) and its lines. */
export interface DiffFile {
  path: string;
  lines: string[];
}

const HEADER = /^diff --git a\/(.*) b\/(.*)$/;

/** The path a `diff --git` header names: the new side's, which is the old one's unless the file was renamed. */
function pathOf(header: string): string {
  const match = HEADER.exec(header);
  return match ? match[2]! : header.slice('diff --git '.length);
}

/**
 * Splits a page of diff text into its files. A page may start in the middle of a file (the diff is paged by bytes):
 * those lines come first, under the path of no header.
 */
export function splitDiffFiles(text: string): DiffFile[] {
  const files: DiffFile[] = [];
  let current: DiffFile | undefined;
  for (const line of text.split('\n')) {
    if (line.startsWith('diff --git ')) {
      current = { path: pathOf(line), lines: [line] };
      files.push(current);
      continue;
    }
    if (!current) {
      if (line === '') continue;
      current = { path: '(continued from the previous page)', lines: [] };
      files.push(current);
    }
    current.lines.push(line);
  }
  for (const file of files) {
    while (file.lines.at(-1) === '') file.lines.pop();
  }
  return files;
}
