import { FleetError, LeftoversError, UnlandedWorkError } from '../fleet/errors.js';
import type { DeletedAgent, Fleet, MergeAgentRequest, MergeAgentResult } from '../fleet/fleet-api.js';
import type { CallContext, ConfirmAnswer, Question } from './fleet-tool.js';

const DELETE_KEY = 'delete_unlanded_work';
const MERGE_KEY = 'merge_leftovers';

/**
 * delete_agent: where the client can ask its user, work that deleting would lose is put to them instead of refused,
 * and a yes deletes with force. A no, or a client that cannot ask, gets the refusal.
 */
export async function deleteConfirmed(
  fleet: Fleet,
  name: string,
  force: boolean,
  call: CallContext,
): Promise<DeletedAgent | Question> {
  const answer = call.confirm?.(DELETE_KEY) ?? 'unasked';
  try {
    return await fleet.deleteAgent(name, { force: force || answer === 'confirmed' });
  } catch (error) {
    if (!(error instanceof UnlandedWorkError) || answer !== 'unasked' || !call.confirm) throw declined(error, answer);
    return { ask: { key: DELETE_KEY, message: `${error.message} Delete agent "${name}" anyway?` } };
  }
}

/**
 * merge_agent: where the client can ask its user, files the agent left uncommitted are put to them before they are
 * committed and landed with its work. A no refuses the merge; a client that cannot ask merges them, as before.
 */
export async function mergeConfirmed(
  fleet: Fleet,
  name: string,
  request: MergeAgentRequest,
  call: CallContext,
): Promise<MergeAgentResult | Question> {
  const answer = call.confirm?.(MERGE_KEY) ?? 'unasked';
  const leftovers = answer === 'declined' || (answer === 'unasked' && call.confirm) ? 'refuse' : 'commit';
  try {
    return await fleet.mergeAgent(name, { ...request, leftovers });
  } catch (error) {
    if (!(error instanceof LeftoversError) || answer !== 'unasked') throw declined(error, answer);
    return { ask: { key: MERGE_KEY, message: `${error.message} Commit them and merge agent "${name}"?` } };
  }
}

export function isQuestion(value: object): value is Question {
  return 'ask' in value;
}

/** The refusal, saying that the user said no when they did. */
function declined(error: unknown, answer: ConfirmAnswer): unknown {
  if (answer !== 'declined' || !(error instanceof FleetError)) return error;
  return new FleetError(error.code, `Not done: the user declined. ${error.message}`);
}
