import {
  acceptedContent,
  CLIENT_CAPABILITIES_META_KEY,
  inputRequired,
  inputResponse,
  type ElicitInputParams,
  type InputRequiredResult,
  type ServerContext,
} from '@modelcontextprotocol/server';
import * as z from 'zod';
import type { ConfirmAnswer, Question, Reply } from '../fleet-tool.js';

const confirmation = z.object({ confirm: z.boolean().describe('true to go ahead') });

/** What the client's user said to the question asked under `key`, from the responses the client called again with. */
export function confirmAnswer(ctx: ServerContext, key: string): ConfirmAnswer {
  const responses = ctx.mcpReq.inputResponses;
  if (!responses || !Object.hasOwn(responses, key)) return 'unasked';
  return acceptedContent(responses, key, confirmation)?.confirm === true ? 'confirmed' : 'declined';
}

/** What the client's user replied to the form asked under `key`, from the responses the request carries. */
export function reply(ctx: ServerContext, key: string): Reply {
  const view = inputResponse(ctx.mcpReq.inputResponses, key);
  if (view.kind !== 'elicit') return { action: 'unasked' };
  if (view.action !== 'accept') return { action: 'decline' };
  const content = view.content;
  return { action: 'accept', content: typeof content === 'object' && content !== null ? content : {} };
}

/** Whether the client can ask its user: it declared elicitation in the capabilities of its request. */
export function canConfirm(ctx: ServerContext): boolean {
  const envelope = ctx.mcpReq.envelope as Record<string, unknown> | undefined;
  const capabilities = envelope?.[CLIENT_CAPABILITIES_META_KEY] as { elicitation?: unknown } | undefined;
  return typeof capabilities?.elicitation === 'object' && capabilities.elicitation !== null;
}

/** The `input_required` result that asks the question; the client calls again with the answer. */
export function askToConfirm({ ask }: Question): InputRequiredResult {
  // A form is built to the spec's restricted schema (agent-question.ts); the SDK's type spells out each field kind.
  const requestedSchema = (ask.form as ElicitInputParams['requestedSchema'] | undefined) ?? confirmation;
  return inputRequired({
    inputRequests: { [ask.key]: inputRequired.elicit({ message: ask.message, requestedSchema }) },
  });
}
