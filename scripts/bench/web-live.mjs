// The web view's live row of `npm run bench` (issue 24: updates arrive within 1 s of a change): how long after a
// task is started its agent page's event stream (/ui/events?agent=<name>) sends `change`.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { benchRepo, quantile, startBenchFleet } from './bench-fleet.mjs';
import { callTool } from './tool-call.mjs';

const SAMPLES = Number(process.env.BENCH_WEB_LIVE_SAMPLES ?? 20);
const AGENT = 'live';

/** A git project and one unsandboxed role whose task ends at once: a started task is the change measured. */
function writeFleet(root) {
  const { repo } = benchRepo(root);
  const roles = {
    sh: {
      command: ['sh', '-c', 'exit 0', 'live', '{task}'],
      task_is_operand: true,
      description: 'ends at once',
      sandbox: false,
    },
  };
  const configFile = join(root, 'web-live-fleet.json');
  writeFileSync(configFile, JSON.stringify({ projects: { repo: { path: repo, description: 'bench' } }, roles }));
  return configFile;
}

const cookiePair = (response, name) =>
  response.headers
    .getSetCookie()
    .find((line) => line.startsWith(`${name}=`))
    ?.split(';')[0];

/** Logs in as a browser does: the login form's CSRF token and cookie, then the token in the form. */
async function logIn(base, token) {
  const form = await fetch(`${base}/ui/login`);
  const loginCookie = cookiePair(form, 'fleet_ui_login');
  const csrf = /name="csrf" value="([^"]+)"/.exec(await form.text())?.[1];
  if (!loginCookie || !csrf) throw new Error(`GET /ui/login answered ${form.status} without its form`);
  const response = await fetch(`${base}/ui/login`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: base, Cookie: loginCookie },
    body: new URLSearchParams({ token, csrf }).toString(),
    redirect: 'manual',
  });
  await response.text();
  const session = cookiePair(response, 'fleet_ui_session');
  if (response.status !== 303 || !session) throw new Error(`POST /ui/login answered ${response.status}`);
  return session;
}

/** Opens the agent page's stream; `next()` resolves with the next event's name once it has arrived. */
async function openEvents(base, cookie) {
  const controller = new AbortController();
  const response = await fetch(`${base}/ui/events?agent=${AGENT}`, {
    headers: { Cookie: cookie, Accept: 'text/event-stream' },
    signal: controller.signal,
  });
  if (response.status !== 200) throw new Error(`GET /ui/events answered ${response.status}`);
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  const next = async () => {
    for (;;) {
      const end = buffer.indexOf('\n\n');
      if (end !== -1) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const name = /^event: ?(.*)$/m.exec(block)?.[1];
        if (name !== undefined) return name;
        continue;
      }
      const chunk = await reader.read();
      if (chunk.done) throw new Error('the event stream ended');
      buffer += chunk.value;
    }
  };
  return { next, close: () => controller.abort() };
}

/**
 * One sample: a fresh stream, opened once the previous task's end is recorded, so no earlier change can answer it;
 * then start_agent_task and the time to the first `change`, from the call sent and from its answer.
 */
async function sample(server, base, cookie) {
  const events = await openEvents(base, cookie);
  try {
    if ((await events.next()) !== 'ready') throw new Error('the stream did not start with ready');
    const change = events.next().then((name) => ({ name, at: performance.now() }));
    const sent = performance.now();
    await callTool(server, 'start_agent_task', { name: AGENT, task: 'again' });
    const answered = performance.now();
    const { name, at } = await change;
    if (name !== 'change') throw new Error(`the stream sent ${name}, not change`);
    return { fromSent: at - sent, fromAnswer: at - answered };
  } finally {
    events.close();
  }
}

/** Runs the samples on one fresh fleet-mcp server (`cli`: the bundle to serve) and returns the latencies in ms. */
export async function measureWebLive({ box, cli }) {
  const root = mkdtempSync(join(box.root, 'web-live-'));
  const server = await startBenchFleet({ box, cli, configFile: writeFleet(root), dataDir: join(root, 'data') });
  const base = `http://127.0.0.1:${server.port}`;
  try {
    const cookie = await logIn(base, server.token);
    await callTool(server, 'create_agent', { name: AGENT, project: 'repo', role: 'sh', task: 'first' });
    await callTool(server, 'wait_for_agent', { name: AGENT, timeout_seconds: 60 });
    const samples = [];
    for (let i = 0; i < SAMPLES; i += 1) {
      samples.push(await sample(server, base, cookie));
      await callTool(server, 'wait_for_agent', { name: AGENT, timeout_seconds: 60 });
    }
    return samples;
  } finally {
    await server.stop();
  }
}

/** The rows, as markdown, in the form BENCHMARKS.md quotes them. */
export function webLiveReport(samples) {
  const row = (cells) => `| ${cells.join(' | ')} |`;
  const cells = (values) => [0.5, 0.9].map((q) => quantile(values, q)).concat(Math.max(...values));
  return [
    `Web view live updates: ${samples.length} tasks started with \`start_agent_task\`, each watched by a fresh \`/ui/events?agent=${AGENT}\` stream; time to its \`change\` event (target: within 1000 ms).`,
    '',
    row(['measured from', 'p50 ms', 'p90 ms', 'max ms']),
    row(['---', '---:', '---:', '---:']),
    row(['the call sent', ...cells(samples.map((s) => s.fromSent)).map((v) => v.toFixed(1))]),
    row(["the tool's answer", ...cells(samples.map((s) => s.fromAnswer)).map((v) => v.toFixed(1))]),
  ];
}
