import { createClaudeParser } from './claude.js';
import { createOpencodeParser } from './opencode.js';
import { createCodexParser } from './codex.js';
import { createGeminiParser } from './gemini.js';
import { createTextParser } from './text.js';

export const OUTPUT_FORMATS = ['text', 'claude', 'codex', 'gemini', 'opencode'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

export interface OutputSummary {
  /** The CLI's last answer to the user (its "result"), when its structured output carries one. */
  final_message: string | null;
  /** An error the CLI reported (API error, permission denials, turn limit...), even when it exited 0. */
  error: string | null;
  /**
   * The CLI's session (conversation) id, for a role whose continue_command resumes it by id (`{session_id}`);
   * absent for formats that carry none.
   */
  session_id?: string | null;
}

export interface OutputParser {
  /** One complete stdout line -> the lines a person reads in the agent log (structured events rendered as text; [] drops it). */
  stdoutLine(line: string): string[];
  /** Called once the process has ended. */
  summary(): OutputSummary;
}

/** A fresh parser for one task's output: parsers keep state (final answer, errors) across lines. */
export function createOutputParser(format: OutputFormat): OutputParser {
  switch (format) {
    case 'claude':
      return createClaudeParser();
    case 'codex':
      return createCodexParser();
    case 'gemini':
      return createGeminiParser();
    case 'opencode':
      return createOpencodeParser();
    case 'text':
      return createTextParser();
  }
}
