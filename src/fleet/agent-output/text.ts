import type { OutputParser } from './index.js';

/** Plain output: every line is shown as it is, and nothing in it is taken as the answer or an error. */
export function createTextParser(): OutputParser {
  return {
    stdoutLine: (line) => [line],
    summary: () => ({ final_message: null, error: null }),
  };
}
