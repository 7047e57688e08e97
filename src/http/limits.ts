/** The largest request body any route accepts: the MCP SDK transport's own default, so both agree. */
export const MAX_BODY_BYTES = 4 * 1024 * 1024;

/** The whole request must arrive within this (long tool calls still answer as late as they need); headers sooner. */
export const REQUEST_TIMEOUT_MS = 30_000;
