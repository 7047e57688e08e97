import { spawn } from 'node:child_process';
import { connect as netConnect } from 'node:net';
import { Duplex } from 'node:stream';
import { connect as tlsConnect } from 'node:tls';
import type { EngineAddress } from './engine-address.js';

export interface ConnectOptions {
  /** The ssh client for ssh:// addresses; a path, or a name looked up on PATH. */
  ssh: string;
}

/** Opens one byte stream to the engine's API, over which one HTTP exchange runs. */
export function connectEngine(address: EngineAddress, options: ConnectOptions): Duplex {
  switch (address.kind) {
    case 'unix':
      return netConnect({ path: address.path });
    case 'tcp':
      if (!address.tls) return netConnect({ host: address.host, port: address.port });
      return tlsConnect({
        host: address.host,
        port: address.port,
        servername: isIp(address.host) ? undefined : address.host,
        ca: address.tls.ca,
        cert: address.tls.cert,
        key: address.tls.key,
        rejectUnauthorized: address.tls.verify,
      });
    case 'ssh':
      return sshDialStdio(address, options.ssh);
  }
}

function isIp(host: string): boolean {
  return /^[\d.]+$/.test(host) || host.includes(':');
}

/**
 * As the docker CLI does for ssh://: the remote `docker system dial-stdio` joins its stdio to the remote engine's
 * socket, so HTTP runs over ssh's stdin and stdout. BatchMode keeps ssh from asking for a password on a terminal the
 * server does not have.
 */
function sshDialStdio(address: Extract<EngineAddress, { kind: 'ssh' }>, ssh: string): Duplex {
  const args = ['-o', 'BatchMode=yes'];
  if (address.user) args.push('-l', address.user);
  if (address.port) args.push('-p', String(address.port));
  args.push('--', address.host, 'docker', 'system', 'dial-stdio');
  const child = spawn(ssh, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (data: Buffer) => {
    stderr = (stderr + data.toString()).slice(-500);
  });
  // A failed login shows first as a broken pipe; ssh's own last line, once it has exited, says why.
  const exited = new Promise<Error | null>((resolve) => {
    child.on('error', (error) => resolve(error));
    child.on('exit', (code) => {
      const line = stderr.trim().split('\n').pop() ?? '';
      resolve(code === 0 || code === null ? null : new Error(`ssh exited with ${code}${line ? `: ${line}` : ''}`));
    });
  });
  const fail = (error: Error) => void exited.then((sshError) => stream.destroy(sshError ?? error));
  const stream = new Duplex({
    write(chunk: Buffer, _encoding, callback) {
      child.stdin.write(chunk, (error) => (error ? fail(error) : callback()));
    },
    final(callback) {
      child.stdin.end(callback);
    },
    read() {
      child.stdout.resume();
    },
    destroy(error, callback) {
      child.kill('SIGTERM');
      callback(error);
    },
  });
  child.stdout.on('data', (data: Buffer) => {
    if (!stream.push(data)) child.stdout.pause();
  });
  child.stdout.on('end', () => void exited.then((error) => (error ? stream.destroy(error) : stream.push(null))));
  child.stdin.on('error', fail);
  void exited.then((error) => {
    if (error && !stream.destroyed) stream.destroy(error);
  });
  // node:http calls these on a socket; a pipe has nothing to set.
  Object.assign(stream, {
    setNoDelay: () => stream,
    setKeepAlive: () => stream,
    setTimeout: () => stream,
    ref: () => stream,
    unref: () => stream,
  });
  return stream;
}
