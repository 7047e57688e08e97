import { createHmac } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config.js';
import type { BackendsConfig } from '../fleet/backends/backends-config.js';
import type { AgentRuntime } from '../fleet/backends/remote/agent-runtime.js';
import type { EngineSettings, NamedBackend } from '../fleet/backends/remote/engine-launch.js';
import type { GuardedPath } from '../fleet/backends/remote/mount-guard.js';
import { GitCredentials, loadGitCredentialKey } from '../fleet/backends/remote/git-credentials.js';
import { createRuntime } from '../fleet/backends/runtimes.js';
import { isLoopbackHost } from '../http/loopback.js';

export interface EngineSettingsOptions {
  backends: BackendsConfig;
  dataDir: string;
  /** The address serve listens on, and its port once it listens. */
  host: string;
  port: () => number | null;
  authEnabled: boolean;
}

/**
 * The fleet's engines as serve runs them: one runtime per backend, made when first used; the git credentials' key
 * in the data dir, which also names this server on the engines, so another fleet's objects are never its own.
 */
export function engineSettings(options: EngineSettingsOptions): EngineSettings {
  mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
  const key = loadGitCredentialKey(join(options.dataDir, 'git-credential.key'));
  const runtimes = new Map<string, Promise<AgentRuntime>>();
  return {
    backends: options.backends,
    localUrl: () => {
      const port = options.port();
      if (port === null) return null;
      const host =
        isLoopbackHost(options.host) || options.host === '0.0.0.0' || options.host === '::'
          ? '127.0.0.1'
          : options.host;
      return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
    },
    authEnabled: options.authEnabled,
    credentials: new GitCredentials(key),
    serverId: createHmac('sha256', key).update('fleet-mcp server id').digest('hex').slice(0, 16),
    runtime: (backend: NamedBackend) => {
      const runtime = runtimes.get(backend.name) ?? createRuntime(backend);
      runtimes.set(backend.name, runtime);
      return runtime;
    },
  };
}

/** What serve keeps from every agent's container: its data dir and the files its tokens come from. */
export function guardedPaths(config: Config): GuardedPath[] {
  const paths = [
    { path: config.dataDir, what: "the server's data dir, with the key of every task's git credential" },
    { path: config.auth.tokenFile, what: "the server's auth token" },
    { path: config.auth.namedTokensFile, what: "the server's named tokens" },
  ];
  if (config.auth.credentialsDirectory)
    paths.push({ path: config.auth.credentialsDirectory, what: "the server's systemd credentials" });
  return paths;
}
