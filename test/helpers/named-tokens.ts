import { join } from 'node:path';
import { createNamedToken, revokeNamedToken } from '../../src/auth/named-token-store.js';
import type { Scope } from '../../src/auth/scopes.js';
import type { Sandbox } from './sandbox.js';
import { rememberSecret } from './secrets.js';

// For tests whose subject is what the server does with a named token, not the `fleet-mcp token` command: they make
// and revoke tokens in this process, writing the same file the command writes. The command's own tests run the CLI.

export interface NamedTokenOptions {
  /** `read` unless set, as the command's default. */
  scope?: Scope;
  expiresInMs?: number;
  ratePerMinute?: number;
  /** The tokens file, when not the sandbox's default (as FLEET_MCP_TOKENS_FILE moves it). */
  file?: string;
}

/** Where the sandbox's named tokens are kept unless FLEET_MCP_TOKENS_FILE says otherwise. */
export function namedTokensFile(sandbox: Sandbox): string {
  return join(sandbox.configDir, 'tokens.json');
}

/** Makes a named token as `fleet-mcp token create` does and returns its value. */
export function addNamedToken(sandbox: Sandbox, name: string, options: NamedTokenOptions = {}): string {
  const created = createNamedToken(options.file ?? namedTokensFile(sandbox), {
    name,
    scopes: [options.scope ?? 'read'],
    expiresInMs: options.expiresInMs ?? null,
    ratePerMinute: options.ratePerMinute ?? null,
  });
  return rememberSecret(created.value);
}

/** Revokes a named token as `fleet-mcp token revoke` does. */
export function revokeToken(sandbox: Sandbox, name: string): void {
  revokeNamedToken(namedTokensFile(sandbox), name);
}
