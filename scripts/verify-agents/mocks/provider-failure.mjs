// The model API failing for a whole scenario (`provider: { status }` or `provider: { hang: true }`, see ../README.md).

const ANTHROPIC_TYPES = {
  401: 'authentication_error',
  429: 'rate_limit_error',
  500: 'api_error',
  529: 'overloaded_error',
};
const GOOGLE_STATUSES = { 401: 'UNAUTHENTICATED', 429: 'RESOURCE_EXHAUSTED', 500: 'INTERNAL', 529: 'UNAVAILABLE' };

/** The error body each provider's API sends with `status`. */
export const ERROR_BODIES = {
  anthropic: (status) => ({
    type: 'error',
    error: { type: ANTHROPIC_TYPES[status] ?? 'api_error', message: `mock provider fails with ${status}` },
  }),
  openai: (status) => ({
    error: {
      message: `mock provider fails with ${status}`,
      type: status === 429 ? 'rate_limit_exceeded' : 'server_error',
      code: null,
    },
  }),
  google: (status) => ({
    error: {
      code: status,
      message: `mock provider fails with ${status}`,
      status: GOOGLE_STATUSES[status] ?? 'UNKNOWN',
    },
  }),
};

/**
 * Answers a model request as the scenario's failing provider would: with its error status, or never (the mock's
 * close() ends the hung connection). Returns false when the scenario's provider works.
 */
export function failAsProvider(scenario, res, body) {
  const failure = scenario.provider;
  if (!failure) return false;
  if (failure.hang) return true;
  res.writeHead(failure.status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body(failure.status)));
  return true;
}
