import { NO_ACTIVITY } from '../tasks/output/activity.js';
import type { OutputParser } from '../tasks/output/index.js';

/** The full answer stays in the log; the record keeps what a caller reads at a glance, and the state file stays small. */
export const MAX_FINAL_MESSAGE_CHARS = 20_000;

/**
 * A role's output parser as the task runner uses it: a line it cannot read is shown as it came (one odd event must
 * not crash the server or lose the rest of the log), a failure at the end becomes the task's error instead of
 * leaving the task running forever, and the final message is capped.
 */
export function guardedParser(parser: OutputParser): OutputParser {
  return {
    stdoutLine(line) {
      try {
        return parser.stdoutLine(line);
      } catch {
        return [line];
      }
    },
    stderrLine(line) {
      try {
        parser.stderrLine?.(line);
      } catch {
        // A line it cannot read tells nothing about the outcome.
      }
    },
    summary() {
      try {
        const summary = parser.summary();
        return { ...summary, final_message: summary.final_message === null ? null : cap(summary.final_message) };
      } catch (error) {
        return {
          final_message: null,
          error: `its output could not be read: ${(error as Error).message}`,
          failure: 'agent',
        };
      }
    },
    takeControl() {
      try {
        return parser.takeControl?.() ?? [];
      } catch {
        return [];
      }
    },
    activity() {
      try {
        return parser.activity();
      } catch {
        return { ...NO_ACTIVITY };
      }
    },
  };
}

function cap(text: string): string {
  const over = text.length - MAX_FINAL_MESSAGE_CHARS;
  return over <= 0 ? text : `${text.slice(0, MAX_FINAL_MESSAGE_CHARS)}… [${over} more characters in the log]`;
}
