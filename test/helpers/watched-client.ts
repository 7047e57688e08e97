import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { StartedServer } from './server.js';

/** One request of the client, seen from the client's side. */
export interface WatchedRequest {
  /** Settles when its answer has started (for a stream: the stream is open). */
  opened: Promise<void>;
  /** Settles, with the time, when its answer has ended, read to its end or cut off. */
  ended: Promise<number>;
  endedAt: () => number | undefined;
}

export interface WatchedClient extends WatchedRequest {
  client: Client;
  /** Watches the next request whose body contains `text`. */
  watchNext: (text: string) => WatchedRequest;
}

async function drain(stream: ReadableStream<Uint8Array>): Promise<void> {
  const reader = stream.getReader();
  try {
    while (!(await reader.read()).done);
  } catch {
    // Cut off: ended all the same.
  }
}

interface Watch extends WatchedRequest {
  matches: (init: RequestInit | undefined) => boolean;
  open: () => void;
  end: () => void;
}

function watch(matches: (init: RequestInit | undefined) => boolean): Watch {
  let open!: () => void;
  let end!: (at: number) => void;
  let endedAt: number | undefined;
  const opened = new Promise<void>((resolve) => (open = resolve));
  const ended = new Promise<number>((resolve) => (end = resolve));
  return {
    matches,
    opened,
    ended,
    endedAt: () => endedAt,
    open,
    end: () => {
      endedAt ??= Date.now();
      end(endedAt);
    },
  };
}

/** A fetch for the SDK client that lets the test see each watched request's answer start and end. */
function watchingFetch(watches: Watch[]): typeof fetch {
  return async (input, init) => {
    const index = watches.findIndex((candidate) => candidate.matches(init));
    const watched = index === -1 ? undefined : watches.splice(index, 1)[0]!;
    let response: Response;
    try {
      response = await fetch(input, init);
    } catch (error) {
      watched?.end();
      throw error;
    }
    if (!watched || !response.body) return response;
    const [forClient, forTest] = response.body.tee();
    watched.open();
    void drain(forTest).then(watched.end);
    return new Response(forClient, {
      status: response.status,
      statusText: response.statusText,
      headers: response.headers,
    });
  };
}

/**
 * The real SDK client over Streamable HTTP or the legacy HTTP+SSE transport, its first GET (the server-to-client
 * stream) watched, and any later request the test names.
 */
export async function connectWatched(
  server: StartedServer,
  token: string,
  kind: 'streamable' | 'sse',
): Promise<WatchedClient> {
  const stream = watch((init) => (init?.method ?? 'GET') === 'GET');
  const watches = [stream];
  const requestInit = { headers: { Authorization: `Bearer ${token}` } };
  const fetchWatching = watchingFetch(watches);
  const transport =
    kind === 'streamable'
      ? new StreamableHTTPClientTransport(new URL(server.mcpUrl), { requestInit, fetch: fetchWatching })
      : new SSEClientTransport(new URL(`${server.baseUrl}/sse`), { requestInit, fetch: fetchWatching });
  const client = new Client({ name: 'watched-client', version: '1.0.0' });
  // A cut stream is retried by the SDK with the same token and refused; that is what the tests expect.
  client.onerror = () => {};
  await client.connect(transport);
  const watchNext = (text: string): WatchedRequest => {
    const next = watch((init) => typeof init?.body === 'string' && init.body.includes(text));
    watches.push(next);
    return next;
  };
  return { client, opened: stream.opened, ended: stream.ended, endedAt: stream.endedAt, watchNext };
}
