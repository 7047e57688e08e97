import { createClaudeParser } from './claude.js';
import { createOpencodeParser } from './opencode.js';
import { createCodexParser } from './codex.js';
import { createGeminiParser } from './gemini.js';
import { createTextParser } from './text.js';
import type { AgentQuestionItem } from '../../fleet-api.js';
import type { TaskUsage } from '../../usage/task-usage.js';
import type { AskInput } from './claude-control.js';

export const OUTPUT_FORMATS = ['text', 'claude', 'codex', 'gemini', 'opencode'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/**
 * What kind of failure the CLI's output shows, most telling first: the model API failed (`provider`), the CLI
 * said its run failed (`agent`), the sandbox or the OS refused a write (`refused`), or a tool call failed and no
 * later call of the same tool succeeded (`tool`).
 */
export type FailureKind = 'provider' | 'agent' | 'refused' | 'tool';

/** How a running task is doing, read after every batch of output (see runner.ts and task-watch.ts). */
export interface OutputActivity {
  /** Counts events that show real work: assistant text, tool calls and results; never retry or error notices. */
  progress: number;
  /** True while the CLI waits on its model's API (no tool call open); false when that cannot be told. */
  waiting_on_provider: boolean;
  /** A tool call the CLI started has shown no result yet (false where that cannot be told). */
  tool_running: boolean;
  /** The last error the model API gave since the last progress (a retry notice), or null. */
  provider_error: string | null;
  /** Tokens and cost so far; null while the CLI has reported none. */
  usage: TaskUsage | null;
  /** The CLI reported the end of its run (its result): what is left is its exit, so no limit needs to stop it. */
  finished: boolean;
}

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
  /** The kind of `error`; null when there is none. */
  failure?: FailureKind | null;
  /** Tokens and cost of the whole run, where the CLI reports them. */
  usage?: TaskUsage | null;
}

/**
 * A request the CLI put to its host on stdout (Claude Code's control requests), read from agent-writable text: a
 * question for the user, a request to refuse at once (`tool` null: not a permission prompt), a request withdrawn, or
 * a tool call settled.
 */
export type ControlEvent =
  | { kind: 'question'; requestId: string; toolUseId: string | null; input: AskInput; questions: AgentQuestionItem[] }
  | { kind: 'refuse'; requestId: string; tool: string | null; toolUseId: string | null; message: string }
  | { kind: 'cancel'; requestId: string }
  /** The tool call's result came (its question was settled in the CLI, by whoever answered); null: the turn ended. */
  | { kind: 'resolved'; toolUseId: string | null };

export interface OutputParser {
  /** One complete stdout line -> the lines a person reads in the agent log (structured events rendered as text; [] drops it). */
  stdoutLine(line: string): string[];
  /** One complete stderr line, for a CLI that reports its API's retries there (gemini); logged as it came either way. */
  stderrLine?(line: string): void;
  /** Called once the process has ended. */
  summary(): OutputSummary;
  activity(): OutputActivity;
  /** The control requests and cancels read since the last call, in order (a CLI that asks through its stdin). */
  takeControl?(): ControlEvent[];
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
