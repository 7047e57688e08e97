import * as z from 'zod';
import type { Scope } from '../auth/scopes.js';
import type { Fleet } from '../fleet/fleet.js';
import type { Logger } from '../log.js';
import type { TaskWork } from './task-registry.js';

// Tool files build their schemas once, at module level: a fresh MCP server is made for every request, and
// building zod schemas would otherwise be most of its cost.

/** What every fleet tool needs: the one fleet of this server. */
export interface FleetToolDeps {
  fleet: Fleet;
  /** The name of the token this server answers for (`shared`, a named token, `stdio`), recorded on what it starts. */
  caller: string;
  /** Where a call's unexpected error is logged (see callTool). */
  logger: Logger;
}

/** What the client's user said to a question a tool asked under a key, if it was asked. */
export type ConfirmAnswer = 'confirmed' | 'declined' | 'unasked';

/** What the client's user replied to a form a tool asked under a key (a cancel is a decline), if it was asked. */
export type Reply =
  | { action: 'accept'; content: Record<string, unknown> }
  | { action: 'decline' }
  | { action: 'unasked' };

/** A form's fields, in the restricted JSON Schema of MCP elicitation. */
export interface QuestionForm {
  type: 'object';
  properties: Record<string, unknown>;
}

/** What a handler needs of the SDK's per-call object, whichever SDK serves the call (see registerFleetTools). */
export interface CallContext {
  /** Aborts when the client cancels the call or goes away. */
  signal: AbortSignal;
  /** Tells a client that sent a progress token how far the call is; undefined when it sent none. */
  progress: ((progress: number, total: number, message: string) => Promise<void>) | undefined;
  /**
   * Present only where the client can ask its user (2026-07-28, with elicitation): the answer to the question asked
   * under `key`. A handler may then return a Question instead of acting.
   */
  confirm?: (key: string) => ConfirmAnswer;
  /**
   * Present only where the client can ask its user and the token may steer agents (answering an agent's question
   * does): what the user replied to the form asked under `key`. A handler may then return a Question with a form.
   */
  reply?: (key: string) => Reply;
}

/**
 * A question for the client's user: yes or no, or the fields of `form`. The client calls again with the answer (an
 * `input_required` result).
 */
export interface Question {
  ask: { key: string; message: string; form?: QuestionForm };
}

/** A tool's answer: the value its output schema describes, and the text a client without structured content shows. */
export interface ToolAnswer<T> {
  structured: T;
  text: string;
}

/** MCP's hints; tools leave out those at their default (readOnly false, destructive true, idempotent false). */
export interface ToolAnnotations {
  readOnlyHint?: boolean;
  destructiveHint?: boolean;
  idempotentHint?: boolean;
  openWorldHint?: boolean;
}

/**
 * One tool, declared once: what tools/list shows, the scope a token needs to see and call it, and what a call does.
 * `input` refuses unknown arguments (see strictArgs).
 */
export interface FleetTool<I extends z.ZodObject = z.ZodObject, O extends z.ZodObject = z.ZodObject> {
  name: string;
  /** read to look, run to make agents work, admin for what destroys or lands work. */
  scope: Scope;
  title: string;
  description: string;
  input: I;
  output: O;
  annotations: ToolAnnotations;
  /** Clients that render MCP Apps show the fleet app with this tool's result (see app/app-link.ts). */
  showsApp?: true;
  handler(
    args: z.output<I>,
    deps: FleetToolDeps,
    call: CallContext,
  ): ToolOutcome<z.output<O>> | Promise<ToolOutcome<z.output<O>>>;
  /**
   * Present on a tool that may run as an MCP task: the work of such a task. `asks`: the request that made it could
   * answer questions (as CallContext.reply), so the task may wait on its client's user.
   */
  task?(args: z.output<I>, deps: FleetToolDeps, asks: boolean): TaskPlan;
}

/** An MCP task's work, and how long the task and its result are kept unless the client asks otherwise. */
export interface TaskPlan {
  work: TaskWork;
  ttlMs: number;
}

/** A tool's answer, or, only where CallContext.confirm is, a question to ask before it acts. */
export type ToolOutcome<T> = ToolAnswer<T> | Question;

/** Keeps a declaration's argument and result types tied to its schemas. */
export function fleetTool<I extends z.ZodObject, O extends z.ZodObject>(tool: FleetTool<I, O>): FleetTool<I, O> {
  return tool;
}

/** The answer of most tools: the value, and the same as one line of JSON. */
export function jsonAnswer<T>(value: T): ToolAnswer<T> {
  return { structured: value, text: JSON.stringify(value) };
}

export const READ_ONLY: ToolAnnotations = { readOnlyHint: true, openWorldHint: false };

const MAX_KEYS_SHOWN = 5;

/**
 * A tool's arguments, refusing any it does not know with one line that names them all: a misspelt option would
 * otherwise be dropped silently, and the call would do something else than asked.
 */
export function strictArgs<S extends z.ZodRawShape>(tool: string, shape: S) {
  const known = Object.keys(shape).join(', ') || 'none';
  return z
    .strictObject(shape, {
      error: (issue) => {
        if (issue.code !== 'unrecognized_keys') return undefined;
        // The caller's keys, shortened: the line names them, it does not echo a flood back.
        const shown = issue.keys.slice(0, MAX_KEYS_SHOWN).map((key) => JSON.stringify(key.slice(0, 64)));
        const more = issue.keys.length > MAX_KEYS_SHOWN ? ` and ${issue.keys.length - MAX_KEYS_SHOWN} more` : '';
        return `Unknown argument${issue.keys.length > 1 ? 's' : ''} ${shown.join(', ')}${more} for ${tool}; known: ${known}.`;
      },
    })
    .meta({ $schema: undefined }); // As in outputSchema (output-schemas.ts): no dialect URI repeated in every tool.
}

export const agentNameArg = z.string();

export const newAgentNameArg = z.string().describe('Letters, digits, "-"');

export const projectArg = z.string();

export const TASK_OUTCOME_HELP = 'A task is queued, running, completed, failed (reason says why) or canceled.';

/** Past any page a fleet fills (a real bound: zod's default one is 2^53, spelt out in every paged tool's schema). */
const MAX_PAGE = 100_000;

/** The `page` (1: the newest) and `page_size` arguments of a paged tool. */
export function pageArgs(limits: { defaultSize: number; maxSize: number }) {
  return {
    page: z.number().int().min(1).max(MAX_PAGE).default(1),
    page_size: z.number().int().min(1).max(limits.maxSize).default(limits.defaultSize),
  };
}
