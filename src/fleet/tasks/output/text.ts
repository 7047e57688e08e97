import { NO_ACTIVITY } from './activity.js';
import type { OutputParser } from './index.js';

/** Plain output: every line is logged as printed, and nothing is known about the outcome beyond the exit code. */
export function createTextParser(): OutputParser {
  let progress = 0;
  return {
    stdoutLine(line) {
      progress += 1;
      return [line];
    },
    summary: () => ({ final_message: null, error: null }),
    activity: () => ({ ...NO_ACTIVITY, progress }),
  };
}
