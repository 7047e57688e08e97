import type * as z from 'zod';
import type { TokenIdentity } from '../../auth/identity.js';
import type { Fleet } from '../../fleet/fleet-api.js';
import type { Logger } from '../../log.js';
import { callTool } from '../../mcp/call-tool.js';
import type { CallContext, FleetTool, FleetToolDeps } from '../../mcp/fleet-tool.js';
import type { AnyFleetTool } from '../../mcp/fleet-tools.js';
import { UiError } from './ui-error.js';

export interface ToolRunnerOptions {
  fleet: Fleet;
  logger: Logger;
}

/** The web view cannot ask its user a question mid-call: tools act as for a client that cannot (see confirmations.ts). */
function callContext(): CallContext {
  return { signal: new AbortController().signal, progress: undefined };
}

function deps(options: ToolRunnerOptions, identity: TokenIdentity): FleetToolDeps {
  return { fleet: options.fleet, logger: options.logger, caller: identity.name };
}

function parsed<I extends z.ZodObject>(tool: FleetTool<I>, args: Record<string, unknown>): z.output<I> {
  const result = tool.input.safeParse(args);
  if (!result.success) throw new UiError(400, 'Bad request', result.error.issues[0]?.message ?? 'Invalid arguments.');
  return result.data;
}

/** What an action answered: the tool's text, or its error text (an unexpected error's names only its log id). */
export interface ActionResult {
  ok: boolean;
  text: string;
}

/**
 * Runs an action through callTool, exactly as tools/call does: the same arguments check, the same caller recorded,
 * the same logging of an unexpected error. A refusal written for the caller is thrown on.
 */
export async function actWith(
  options: ToolRunnerOptions,
  identity: TokenIdentity,
  tool: AnyFleetTool,
  args: Record<string, unknown>,
): Promise<ActionResult> {
  const result = await callTool(tool, parsed(tool, args), deps(options, identity), callContext());
  return { ok: !('isError' in result), text: result.content[0]?.text ?? '' };
}
