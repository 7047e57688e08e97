import { describe, expect, it } from 'vitest';
import { splitDiffFiles } from '../../src/http/ui/diff-files.js';
import { highlightDiffFile } from '../../src/http/ui/diff-lines.js';
import { highlightSource, languageOf } from '../../src/http/ui/syntax.js';

const DIFF = `diff --git a/src/a.ts b/src/a.ts
index 1111111..2222222 100644
--- a/src/a.ts
+++ b/src/a.ts
@@ -1,2 +1,2 @@
-const a = 'old'; // was
+const a = "new"; // is
--- a removed line that reads like a header
 return 42;
diff --git a/run.py b/run.py
new file mode 100644
@@ -0,0 +1 @@
+def run(): return 'x'  # go
`;

describe('diff files and lines', () => {
  it('splits a diff into its files by their headers', () => {
    const files = splitDiffFiles(DIFF);
    expect(files.map((file) => file.path)).toEqual(['src/a.ts', 'run.py']);
    expect(files[0]!.lines).toHaveLength(9);
  });

  it('puts the lines before a page’s first header under a file of their own', () => {
    const files = splitDiffFiles('+tail of a file\ndiff --git a/b b/b\n');
    expect(files.map((file) => file.path)).toEqual(['(continued from the previous page)', 'b']);
  });

  it('tells added, removed, hunk and header lines apart, and source inside a hunk even when it looks like a header', () => {
    const lines = highlightDiffFile(splitDiffFiles(DIFF)[0]!.lines, languageOf('src/a.ts'));
    expect(lines.map((line) => line.kind)).toEqual([
      'meta',
      'meta',
      'meta',
      'meta',
      'hunk',
      'removed',
      'added',
      'removed',
      'context',
    ]);
  });

  it('colours keywords, strings, comments and numbers of the file’s language, and leaves the rest as text', () => {
    expect(highlightSource(`const a = "x\\"y"; // c`, 'c')).toEqual([
      { kind: 'keyword', text: 'const' },
      { kind: 'text', text: ' a = ' },
      { kind: 'string', text: '"x\\"y"' },
      { kind: 'text', text: '; ' },
      { kind: 'comment', text: '// c' },
    ]);
    expect(highlightSource('def f(): return 42  # go', languageOf('x.py'))).toEqual([
      { kind: 'keyword', text: 'def' },
      { kind: 'text', text: ' f(): ' },
      { kind: 'keyword', text: 'return' },
      { kind: 'text', text: ' ' },
      { kind: 'number', text: '42' },
      { kind: 'text', text: '  ' },
      { kind: 'comment', text: '# go' },
    ]);
    expect(highlightSource('<img src=x onerror=alert(1)>', languageOf('README'))).toEqual([
      { kind: 'text', text: '<img src=x onerror=alert(1)>' },
    ]);
    expect(languageOf('dir.ts/Makefile')).toBeUndefined();
  });
});
