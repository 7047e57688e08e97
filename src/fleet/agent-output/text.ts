import type { OutputParser } from './index.js';

/** Plain output: every line is logged as printed, and nothing is known about the outcome beyond the exit code. */
export function createTextParser(): OutputParser {
  return {
    stdoutLine: (line) => [line],
    summary: () => ({ final_message: null, error: null }),
  };
}
