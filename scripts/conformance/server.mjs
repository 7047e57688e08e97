// The server under test: the built `fleet-mcp serve` on 127.0.0.1, port 0, with a private HOME and XDG dirs under
// `root`. Auth is off: the suite's client sends no Authorization header and has no option to, and with auth off on
// loopback the Host/Origin guard is still what the dns-rebinding scenario tests.
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../bin/fleet-mcp.js', import.meta.url));

/** The caller's environment without the server's own settings, so a developer's shell cannot change the run. */
function cleanEnv() {
  return Object.fromEntries(
    Object.entries(process.env).filter(
      ([key]) => !key.startsWith('FLEET_MCP_') && key !== 'AUTH_ENABLED' && key !== 'LOG_LEVEL',
    ),
  );
}

/** Starts the server and resolves with its MCP URL and a stop() that resolves once it has exited. */
export function startServer(root) {
  const home = join(root, 'home');
  const cwd = join(root, 'work');
  mkdirSync(home, { recursive: true });
  mkdirSync(cwd, { recursive: true });
  const env = {
    ...cleanEnv(),
    HOME: home,
    XDG_CONFIG_HOME: join(home, '.config'),
    XDG_DATA_HOME: join(home, '.local', 'share'),
    FLEET_MCP_AUTH_ENABLED: 'false',
  };
  const child = spawn(process.execPath, [BIN, 'serve', '--host', '127.0.0.1', '--port', '0'], {
    cwd,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  let listening = false;
  const exited = new Promise((done) => child.once('exit', done));
  return new Promise((done, fail) => {
    // Read to the end, not only to the ready line: a full pipe would stall the server's logging mid-run.
    child.stdout.on('data', (chunk) => {
      if (listening) return;
      output += chunk;
      const line = output.split('\n').find((text) => text.includes('"fleet-mcp listening"'));
      if (!line) return;
      listening = true;
      const { port } = JSON.parse(line);
      const stop = () => {
        child.kill('SIGTERM');
        return exited;
      };
      done({ url: `http://127.0.0.1:${port}/mcp`, stop });
    });
    child.stderr.on('data', (chunk) => {
      if (!listening) output += chunk;
    });
    void exited.then((code) => fail(new Error(`fleet-mcp exited with ${code} before listening:\n${output}`)));
  });
}
