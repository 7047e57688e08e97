import { McpError } from '@modelcontextprotocol/sdk/types.js';
import { ProtocolError } from '@modelcontextprotocol/server';
import { isConfigError } from '../config-error.js';
import { LaunchError } from '../fleet/backends/local/sandbox/launcher.js';
import { EngineApiError, EngineUnreachableError } from '../fleet/backends/container/engine-client.js';
import { EngineAddressError } from '../fleet/backends/container/engine-address.js';
import { RuntimeError } from '../fleet/backends/remote/agent-runtime.js';
import { WorkspaceError } from '../fleet/backend.js';
import { FleetError } from '../fleet/errors.js';
import { GitError } from '../fleet/review/git.js';

/**
 * The errors whose message is written for the caller on purpose: a refusal, or a failure in words that say what to
 * fix (git's, an engine's, the sandbox's, the config's, the MCP SDK's). A tool answers them as they are; any other
 * error is a fault of the server, whose message may hold paths or secrets.
 */
const EXPECTED: ReadonlyArray<abstract new (...args: never[]) => Error> = [
  FleetError,
  GitError,
  WorkspaceError,
  LaunchError,
  RuntimeError,
  EngineApiError,
  EngineUnreachableError,
  EngineAddressError,
  McpError,
  ProtocolError,
];

export function isExpectedError(error: unknown): boolean {
  return isConfigError(error) || EXPECTED.some((type) => error instanceof type);
}
