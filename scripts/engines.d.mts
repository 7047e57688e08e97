// Types of engines.mjs, for the tests that import it.
export const ENGINES_APT_LINE: string;
export const FAKE_IMAGE: string;
export const HOST_USR: { source: string; target: string }[];
export const ENGINE_BINARIES: Record<'docker' | 'podman' | 'swarm', string[]>;

export interface PrivateEngine {
  /** As DOCKER_HOST has it. */
  host: string;
  socket: string;
  /** The daemon's own folder under /var/tmp, removed with it. */
  dir: string;
  /** The daemon's process id. */
  pid: number;
  /** Daemon start-up until its API answered, in ms. */
  startMs: number;
  stop(): Promise<void>;
}

export interface TlsListener {
  port: number;
  /** A folder from makeTlsCerts. */
  certs: string;
}

export function missingEngine(binaries: string[]): string | null;
export function startDockerd(options?: { tls?: TlsListener }): Promise<PrivateEngine>;
export function startPodman(): Promise<PrivateEngine>;
export function initSwarm(engine: PrivateEngine): Promise<void>;
export function importFakeImage(engine: PrivateEngine, kind: 'docker' | 'podman'): void;
export function freePort(): Promise<number>;
export function engineRequest(
  socket: string,
  method: string,
  path: string,
  body?: unknown,
  timeoutMs?: number,
): Promise<{ status: number; text: string }>;
