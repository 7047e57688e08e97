/** A browser's part in the web view's HTTP tests: cookies, its forms' CSRF tokens, the Origin it sends, the stream. */

export interface UiSession {
  baseUrl: string;
  /** The Cookie header a browser sends under /ui. */
  cookie: string;
  csrf: string;
}

/** The value of a Set-Cookie of the answer, by cookie name; undefined when it sets none. */
export function setCookie(response: Response, name: string): string | undefined {
  return response.headers.getSetCookie().find((line) => line.startsWith(`${name}=`));
}

function cookiePair(line: string): string {
  return line.split(';')[0]!;
}

/** The CSRF token of the first form of a page. */
export function csrfOf(page: string): string {
  const match = /name="csrf" value="([^"]+)"/.exec(page);
  if (!match) throw new Error(`no CSRF field in the page: ${page.slice(0, 300)}`);
  return match[1]!;
}

/** The login form as a browser gets it: its CSRF token and the cookie that carries its twin. */
export async function loginForm(baseUrl: string): Promise<{ cookie: string; csrf: string }> {
  const response = await fetch(`${baseUrl}/ui/login`);
  const line = setCookie(response, 'fleet_ui_login');
  if (response.status !== 200 || !line) throw new Error(`GET /ui/login answered ${response.status}`);
  return { cookie: cookiePair(line), csrf: csrfOf(await response.text()) };
}

/** POSTs a form as a page of the server would: same Origin, the browser's cookie, url-encoded fields. */
export function postForm(
  baseUrl: string,
  path: string,
  fields: Record<string, string>,
  options: { cookie?: string; origin?: string | null } = {},
): Promise<Response> {
  const headers: Record<string, string> = { 'Content-Type': 'application/x-www-form-urlencoded' };
  if (options.origin !== null) headers.Origin = options.origin ?? baseUrl;
  if (options.cookie) headers.Cookie = options.cookie;
  return fetch(`${baseUrl}${path}`, {
    method: 'POST',
    headers,
    body: new URLSearchParams(fields).toString(),
    redirect: 'manual',
  });
}

/** Logs in with a token as the form does; returns the answer and the session when one was made. */
export async function logIn(baseUrl: string, token: string): Promise<{ response: Response; session?: UiSession }> {
  const form = await loginForm(baseUrl);
  const response = await postForm(baseUrl, '/ui/login', { token, csrf: form.csrf }, { cookie: form.cookie });
  const line = setCookie(response, 'fleet_ui_session');
  if (response.status !== 303 || !line) return { response };
  const cookie = cookiePair(line);
  const overview = await fetch(`${baseUrl}/ui`, { headers: { Cookie: cookie }, redirect: 'manual' });
  return { response, session: { baseUrl, cookie, csrf: csrfOf(await overview.text()) } };
}

export function getPage(session: UiSession, path: string): Promise<Response> {
  return fetch(`${session.baseUrl}${path}`, { headers: { Cookie: session.cookie }, redirect: 'manual' });
}

/** An open event stream, read as its events arrive. */
export interface EventReader {
  response: Response;
  /** Resolves with the next event's name; rejects when the stream ends first. */
  next(): Promise<string>;
  /** Resolves when the server ends the stream. */
  ended: Promise<void>;
  close(): void;
}

export async function openEvents(session: UiSession, query = ''): Promise<EventReader> {
  const controller = new AbortController();
  const response = await fetch(`${session.baseUrl}/ui/events${query}`, {
    headers: { Cookie: session.cookie, Accept: 'text/event-stream' },
    signal: controller.signal,
  });
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  const names: string[] = [];
  const waiting: { resolve: (name: string) => void; reject: (error: Error) => void }[] = [];
  let done = false;
  const ended = (async () => {
    try {
      for (;;) {
        const chunk = await reader.read();
        if (chunk.done) break;
        buffer += chunk.value;
        for (let end = buffer.indexOf('\n\n'); end !== -1; end = buffer.indexOf('\n\n')) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const name = /^event: ?(.*)$/m.exec(block)?.[1];
          if (name === undefined) continue;
          const waiter = waiting.shift();
          if (waiter) waiter.resolve(name);
          else names.push(name);
        }
      }
    } catch {
      // A cut connection ends the stream as its end does.
    }
    done = true;
    for (const waiter of waiting.splice(0)) waiter.reject(new Error('the event stream ended'));
  })();
  return {
    response,
    ended,
    next: () => {
      const name = names.shift();
      if (name !== undefined) return Promise.resolve(name);
      if (done) return Promise.reject(new Error('the event stream ended'));
      return new Promise((resolve, reject) => waiting.push({ resolve, reject }));
    },
    close: () => controller.abort(),
  };
}
