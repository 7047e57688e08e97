import { randomUUID } from 'node:crypto';
import type { Logger } from '../log.js';

/** What the caller is told of a fault of the server: an id to find it in the log, and nothing of the error itself. */
export function internalErrorText(id: string): string {
  return `internal error (id ${id}); the server's log has the details`;
}

export interface InternalErrorLog {
  logger: Logger;
  /** The name of the caller's token, never its value. */
  tokenName: string | undefined;
  /** The tool called, when the fault is a tool call's. */
  tool: string | undefined;
  /** What failed, e.g. "tool call failed with an unexpected error". */
  what: string;
}

/** Logs an unexpected error once, with its stack, under a fresh correlation id, and returns the id. */
export function logInternalError(error: unknown, options: InternalErrorLog): string {
  const id = randomUUID();
  const err = error instanceof Error ? error : new Error(String(error));
  options.logger.error({ err, error_id: id, token_name: options.tokenName, tool: options.tool }, options.what);
  return id;
}
