import * as z from 'zod';
import type { AgentQuestionItem } from '../../fleet-api.js';
import type { ControlEvent } from './index.js';
import { oneLine, str } from './render.js';

/** Bounds of a question an agent may put to its user: what a person reads and answers at a glance. */
export const QUESTION_LIMITS = {
  questions: 4,
  options: 4,
  questionChars: 1000,
  headerChars: 100,
  labelChars: 200,
  descriptionChars: 1000,
  requestIdChars: 200,
} as const;

const L = QUESTION_LIMITS;
const text = (max: number) => z.string().max(max);
const requestIdSchema = z.string().min(1).max(L.requestIdChars);

// Claude Code's AskUserQuestion input (camelCase); unknown fields are dropped, so only these go back in the answer.
const askInputSchema = z.object({
  questions: z
    .array(
      z.object({
        question: text(L.questionChars).min(1),
        header: text(L.headerChars),
        multiSelect: z.boolean(),
        options: z
          .array(z.object({ label: text(L.labelChars).min(1), description: text(L.descriptionChars) }))
          .min(1)
          .max(L.options),
      }),
    )
    .min(1)
    .max(L.questions)
    .refine((questions) => new Set(questions.map((item) => item.question)).size === questions.length, {
      error: 'two questions with the same text',
    }),
});
export type AskInput = z.infer<typeof askInputSchema>;

const REFUSAL =
  "fleet-mcp: nobody approves an agent's permission prompts, so this is denied; work inside your worktree with the tools you are allowed";

/**
 * Reads one `control_request` line of the CLI's stdout, agent-writable text: a valid AskUserQuestion becomes a
 * question for the user, anything else a refusal to send at once; null when it names no request to answer.
 */
export function readControlRequest(event: Record<string, unknown>): ControlEvent | null {
  const requestId = requestIdSchema.safeParse(event.request_id);
  if (!requestId.success) return null;
  const request = typeof event.request === 'object' && event.request !== null ? event.request : {};
  const fields = request as Record<string, unknown>;
  if (fields.subtype !== 'can_use_tool')
    return {
      kind: 'refuse',
      requestId: requestId.data,
      tool: null,
      toolUseId: null,
      message: `fleet-mcp answers no ${oneLine(str(fields.subtype) ?? 'unnamed', 40)} requests`,
    };
  const tool = oneLine(str(fields.tool_name) ?? 'tool', 60);
  const toolUseId = str(fields.tool_use_id)?.slice(0, L.requestIdChars) ?? null;
  if (tool !== 'AskUserQuestion')
    return { kind: 'refuse', requestId: requestId.data, tool, toolUseId, message: REFUSAL };
  const input = askInputSchema.safeParse(fields.input);
  if (!input.success)
    return {
      kind: 'refuse',
      requestId: requestId.data,
      tool,
      toolUseId,
      message: `fleet-mcp: the question was not put to the user: ${oneLine(z.prettifyError(input.error), 300)} (at most ${L.questions} questions of at most ${L.options} options, texts of at most ${L.questionChars} characters)`,
    };
  return {
    kind: 'question',
    requestId: requestId.data,
    toolUseId,
    input: input.data,
    questions: questionItems(input.data),
  };
}

/** The request a `control_cancel_request` line withdraws; null when it names none. */
export function readControlCancel(event: Record<string, unknown>): ControlEvent | null {
  const requestId = requestIdSchema.safeParse(event.request_id);
  return requestId.success ? { kind: 'cancel', requestId: requestId.data } : null;
}

function questionItems(input: AskInput): AgentQuestionItem[] {
  return input.questions.map((item) => ({
    question: item.question,
    header: item.header,
    multi_select: item.multiSelect,
    options: item.options.map(({ label, description }) => ({ label, description })),
  }));
}

/** A question as the agent's log shows it. */
export function questionLines(questions: AgentQuestionItem[]): string[] {
  const lines = ['? the agent asks its user, and waits for the answer:'];
  for (const item of questions) {
    const header = item.header ? `[${oneLine(item.header, L.headerChars)}] ` : '';
    const how = item.multi_select ? 'one or more of' : 'one of';
    lines.push(`?   ${header}${oneLine(item.question, L.questionChars)} (${how}, or an answer of your own)`);
    for (const option of item.options)
      lines.push(
        `?     - ${oneLine(option.label, L.labelChars)}${option.description ? `: ${oneLine(option.description)}` : ''}`,
      );
  }
  return lines;
}
