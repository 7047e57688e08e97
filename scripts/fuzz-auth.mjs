// Sends generated Authorization header values to a running fleet-mcp and checks that only the exact token is
// accepted and that no value causes a 5xx. Loopback only, bounded by --count.
//
//   FLEET_TOKEN=$(fleet-mcp token show) node scripts/fuzz-auth.mjs --url http://127.0.0.1:8000/mcp --count 100000
//
// Prints one JSON summary line; exits 1 if any value was wrongly accepted or answered with a 5xx.
// Each client address (127.2.x.y) sends at most 10 failures, so the failed-auth throttle never hides a verdict.
import { Agent, request } from 'node:http';
import { parseArgs } from 'node:util';
import { authHeaderValue, shouldAccept } from './auth-header-values.mjs';

const { values } = parseArgs({
  options: {
    url: { type: 'string' },
    count: { type: 'string', default: '100000' },
    concurrency: { type: 'string', default: '16' },
  },
});
const token = process.env.FLEET_TOKEN;
const url = new URL(values.url ?? '');
if (!token || !['127.0.0.1', 'localhost'].includes(url.hostname)) {
  console.error('usage: FLEET_TOKEN=<token> node scripts/fuzz-auth.mjs --url http://127.0.0.1:<port>/mcp [--count N]');
  process.exit(2);
}
const count = Number(values.count);
const BATCH = 10;

const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} });
const summary = { sent: 0, accepted: 0, wronglyAccepted: 0, wronglyRefused: 0, serverErrors: 0, byStatus: {} };
const examples = [];

function send(agent, header) {
  return new Promise((resolve) => {
    const req = request(
      url,
      {
        method: 'POST',
        agent,
        headers: {
          Authorization: header,
          'Content-Type': 'application/json',
          Accept: 'application/json, text/event-stream',
        },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode));
      },
    );
    req.on('error', (error) => resolve(`error:${error.code}`));
    req.end(body);
  });
}

function record(header, status) {
  summary.sent += 1;
  summary.byStatus[status] = (summary.byStatus[status] ?? 0) + 1;
  const expected = shouldAccept(header, token);
  if (status === 200) summary.accepted += 1;
  if (typeof status === 'number' && status >= 500) summary.serverErrors += 1;
  if (status === 200 && !expected) summary.wronglyAccepted += 1;
  if (status !== 200 && expected) summary.wronglyRefused += 1;
  if ((status === 200) !== expected || status >= 500) {
    if (examples.length < 5) examples.push({ header: JSON.stringify(header).slice(0, 120), status });
  }
}

let batches = 0;
async function worker() {
  while (batches * BATCH < count) {
    const n = batches++;
    const localAddress = `127.2.${Math.floor(n / 250) % 250}.${(n % 250) + 1}`;
    const agent = new Agent({ keepAlive: true, maxSockets: 1, localAddress });
    for (let i = 0; i < BATCH; i++) {
      let header;
      try {
        header = authHeaderValue(token);
        record(header, await send(agent, header));
      } catch (error) {
        // Node's client refuses some values before sending (e.g. a leading tab it would fold); nothing reached the server.
        if (error?.code !== 'ERR_INVALID_CHAR') throw error;
      }
    }
    agent.destroy();
  }
}

await Promise.all(Array.from({ length: Number(values.concurrency) }, worker));
console.log(JSON.stringify({ ...summary, examples }));
process.exit(summary.wronglyAccepted === 0 && summary.serverErrors === 0 ? 0 : 1);
