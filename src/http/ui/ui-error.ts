import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { FleetError, type FleetErrorCode } from '../../fleet/errors.js';

/** A refusal of the web view itself (bad query, no such page), answered as a plain page with its status. */
export class UiError extends Error {
  override name = 'UiError';

  constructor(
    readonly status: ContentfulStatusCode,
    readonly title: string,
    message: string,
  ) {
    super(message);
  }
}

const FLEET_STATUS: Record<FleetErrorCode, ContentfulStatusCode> = {
  invalid_argument: 400,
  not_found: 404,
  conflict: 409,
  failed: 409,
  shutting_down: 503,
};

/** The status of an error written for the caller: a FleetError's by its code, any other (git's, the sandbox's) 409. */
export function expectedErrorStatus(error: unknown): ContentfulStatusCode {
  return error instanceof FleetError ? FLEET_STATUS[error.code] : 409;
}
