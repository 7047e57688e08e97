/** The largest request body any route accepts: the MCP SDK transport's own default, so both agree. */
export const MAX_BODY_BYTES = 4 * 1024 * 1024;
