import { RuntimeError } from '../remote/agent-runtime.js';

/** Where a call went, for the line that says why it failed. */
export interface ApiAddress {
  server: string;
  context: string;
}

/** The HTTP status of a failed API call (the client's ApiException), or null when no answer came. */
export function statusCode(error: unknown): number | null {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'number' ? code : null;
}

export function isNotFound(error: unknown): boolean {
  return statusCode(error) === 404;
}

/** One line: which API server and context, what was being done, why it failed, and what to change. */
export function apiFailure(address: ApiAddress, doing: string, error: unknown): RuntimeError {
  const where = `kubernetes API at ${address.server} (context ${address.context})`;
  const code = statusCode(error);
  if (code === null && /certificate/i.test(networkCause(error))) {
    return new RuntimeError(
      `${where} is not trusted while ${doing}: ${networkCause(error)}; set the cluster's certificate-authority-data in the kubeconfig to the cluster's CA`,
    );
  }
  if (code === null && isNetworkError(error)) {
    return new RuntimeError(
      `${where} is unreachable while ${doing}: ${networkCause(error)}; start the cluster, or point the backend's kubeconfig and context at a running one`,
    );
  }
  if (code === null) {
    return new RuntimeError(
      `${where} cannot be called while ${doing}: ${networkCause(error)}; fix the cluster's entry in the kubeconfig`,
    );
  }
  const message = statusMessage(error);
  if (code === 401) {
    return new RuntimeError(
      `${where} refused the credentials while ${doing} (401 Unauthorized); renew the context's token or client certificate in the kubeconfig`,
    );
  }
  if (code === 403) {
    return new RuntimeError(
      `${where} forbids ${doing} (403: ${message}); grant the context's user a Role in the namespace on jobs, pods, pods/log, secrets and networkpolicies`,
    );
  }
  if (code === 404 && /namespaces? "[^"]*" not found/.test(message)) {
    return new RuntimeError(
      `${where} has no such namespace while ${doing} (${message}); create the namespace or set the backend's namespace`,
    );
  }
  return new RuntimeError(
    `${where} answered ${code} while ${doing}: ${message}; check the backend's settings against the cluster`,
  );
}

/** node-fetch's FetchError for a failed connection, DNS lookup or TLS handshake carries the system error's code. */
function isNetworkError(error: unknown): boolean {
  const { type, code } = (error ?? {}) as { type?: unknown; code?: unknown };
  return type === 'system' || (typeof code === 'string' && /^E[A-Z]+|^ERR_TLS|CERT|SELF_SIGNED/.test(code));
}

function networkCause(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  // node-fetch says "request to <url> failed, reason: <cause>"; the URL is already named.
  return oneLine(text.replace(/^request to \S+ failed, reason: /, ''));
}

/** The message of the API's Status object, which the client hands over as text or as parsed JSON. */
function statusMessage(error: unknown): string {
  let body = (error as { body?: unknown }).body;
  if (typeof body === 'string') {
    const text = body;
    try {
      body = JSON.parse(text);
    } catch {
      return oneLine(text) || 'no message';
    }
  }
  const message = (body as { message?: unknown } | null | undefined)?.message;
  return typeof message === 'string' && message ? oneLine(message) : 'no message';
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim().slice(0, 300);
}
