export type FleetErrorCode = 'invalid_argument' | 'not_found' | 'conflict' | 'failed' | 'shutting_down';

/**
 * A refusal or failure whose message is written for the (often LLM) caller: what was wrong and what is valid,
 * so it can correct itself without another lookup. Never carries a stack trace to the caller.
 */
export class FleetError extends Error {
  override name = 'FleetError';
  readonly code: FleetErrorCode;

  constructor(code: FleetErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}

/** delete_agent's refusal of an agent whose work would be lost: a caller may confirm and delete with force. */
export class UnlandedWorkError extends FleetError {
  override name = 'UnlandedWorkError';

  constructor(message: string) {
    super('conflict', message);
  }
}

/** merge_agent's refusal, when asked, of an agent that left files uncommitted: a caller may confirm and merge them. */
export class LeftoversError extends FleetError {
  override name = 'LeftoversError';

  constructor(message: string) {
    super('conflict', message);
  }
}

/** Quotes names for messages, e.g. `"a", "b"`, or says `(none)` so an empty list is never an empty string. */
export function listNames(names: readonly string[]): string {
  return names.length === 0 ? '(none)' : names.map((name) => JSON.stringify(name)).join(', ');
}
