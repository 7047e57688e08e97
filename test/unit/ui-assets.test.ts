import { Script } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { APP_SCRIPT } from '../../src/ui/app-script.js';
import { APP_STYLES } from '../../src/ui/app-styles.js';

describe('web view assets', () => {
  it('is a script that compiles and never turns text into HTML', () => {
    expect(() => new Script(APP_SCRIPT)).not.toThrow();
    for (const sink of ['innerHTML', 'outerHTML', 'insertAdjacentHTML', 'document.write', 'eval(', 'Function(']) {
      expect(APP_SCRIPT, sink).not.toContain(sink);
    }
  });

  it('loads nothing from elsewhere: no URL in the stylesheet or the script', () => {
    expect(APP_STYLES).not.toMatch(/url\(|@import|https?:/);
    expect(APP_SCRIPT).not.toMatch(/https?:\/\//);
  });
});
