import { describe, expect, it } from 'vitest';
import { DiffWindow } from '../../../src/fleet/review/diff-window.js';

function pageOf(text: string, offset: number, limit: number, chunk = 7) {
  const window = new DiffWindow(offset, limit);
  const bytes = Buffer.from(text);
  for (let at = 0; at < bytes.length; at += chunk) window.push(bytes.subarray(at, at + chunk));
  return { text: window.endSection(), page: window.page };
}

describe('DiffWindow', () => {
  it('cuts a line longer than a page between characters, never inside one, and the pages add up', () => {
    const text = `diff --git a/x b/x\n+${'é€😀'.repeat(200)}\ndiff --git a/y b/y\n+y\n`;
    const texts: string[] = [];
    let offset: number | null = 0;
    while (offset !== null) {
      const { text: part, page } = pageOf(text, offset, 256);
      expect(part).not.toContain('\uFFFD');
      texts.push(part);
      offset = page.nextOffset;
    }
    expect(texts.join('')).toBe(text);
    expect(texts.length).toBeGreaterThan(5);
  });

  it('counts the files that start after the page', () => {
    const text = ['a', 'b', 'c'].map((name) => `diff --git a/${name} b/${name}\n+${name.repeat(300)}\n`).join('');
    // 400 bytes hold all of a and b's header line: only c starts after the page.
    const { text: shown, page } = pageOf(text, 0, 400);
    expect(shown.endsWith('diff --git a/b b/b\n')).toBe(true);
    expect(page).toMatchObject({ totalFiles: 3, leftOut: { filesAfter: 1 }, nextOffset: page.shownBytes });
    expect(pageOf(text, 0, 340 - 1).page.leftOut.filesAfter).toBe(2);
    expect(pageOf(text, page.totalBytes + 10, 400).page).toMatchObject({ shownBytes: 0, nextOffset: null });
  });
});
