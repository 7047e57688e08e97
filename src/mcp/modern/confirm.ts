import {
  acceptedContent,
  CLIENT_CAPABILITIES_META_KEY,
  inputRequired,
  type InputRequiredResult,
  type ServerContext,
} from '@modelcontextprotocol/server';
import * as z from 'zod';
import type { ConfirmAnswer, Question } from '../fleet-tool.js';

const confirmation = z.object({ confirm: z.boolean().describe('true to go ahead') });

/** What the client's user said to the question asked under `key`, from the responses the client called again with. */
export function confirmAnswer(ctx: ServerContext, key: string): ConfirmAnswer {
  const responses = ctx.mcpReq.inputResponses;
  if (!responses || !Object.hasOwn(responses, key)) return 'unasked';
  return acceptedContent(responses, key, confirmation)?.confirm === true ? 'confirmed' : 'declined';
}

/** Whether the client can ask its user: it declared elicitation in the capabilities of its request. */
export function canConfirm(ctx: ServerContext): boolean {
  const envelope = ctx.mcpReq.envelope as Record<string, unknown> | undefined;
  const capabilities = envelope?.[CLIENT_CAPABILITIES_META_KEY] as { elicitation?: unknown } | undefined;
  return typeof capabilities?.elicitation === 'object' && capabilities.elicitation !== null;
}

/** The `input_required` result that asks the question; the client calls again with the answer. */
export function askToConfirm({ ask }: Question): InputRequiredResult {
  return inputRequired({
    inputRequests: { [ask.key]: inputRequired.elicit({ message: ask.message, requestedSchema: confirmation }) },
  });
}
