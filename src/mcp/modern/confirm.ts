import { acceptedContent, CLIENT_CAPABILITIES_META_KEY, inputRequired, type InputRequiredResult, type ServerContext } from '@modelcontextprotocol/server';
import * as z from 'zod';

const confirmation = z.object({ confirm: z.boolean().describe('true to go ahead') });

/** What the person behind the client said to a confirmation asked under `key`, if it was asked. */
export type ConfirmAnswer = 'confirmed' | 'declined' | 'unasked';

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

/** An `input_required` result asking the client's user to confirm; the client calls again with the answer. */
export function askToConfirm(key: string, message: string): InputRequiredResult {
  return inputRequired({ inputRequests: { [key]: inputRequired.elicit({ message, requestedSchema: confirmation }) } });
}
