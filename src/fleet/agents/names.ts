import { FleetError } from '../errors.js';

const MAX_AGENT_NAME_LENGTH = 32;
const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9-]*$/;
// Words a client UI or a caller could confuse with an action rather than an agent.
const RESERVED = new Set(['new', 'create']);

export const AGENT_NAME_RULE =
  `1-${MAX_AGENT_NAME_LENGTH} characters of letters, digits and "-", not starting with "-"; ` +
  `"new" and "create" are reserved; names are case-insensitive`;

/** Throws a FleetError that states the rule when the name cannot be an agent name. */
export function assertValidAgentName(name: string): void {
  const problem = nameProblem(name);
  if (problem)
    throw new FleetError(
      'invalid_argument',
      `Invalid agent name ${JSON.stringify(name)}: ${problem}. Rule: ${AGENT_NAME_RULE}.`,
    );
}

export function isValidAgentName(name: string): boolean {
  return nameProblem(name) === null;
}

function nameProblem(name: string): string | null {
  if (name.length === 0) return 'it is empty';
  if (name.length > MAX_AGENT_NAME_LENGTH) return `it has ${name.length} characters`;
  if (name.startsWith('-')) return 'it starts with "-"';
  if (!NAME_PATTERN.test(name)) return 'it contains a character other than letters, digits and "-"';
  if (RESERVED.has(name.toLowerCase())) return 'it is reserved';
  return null;
}

/** The identity of an agent: names differ only in case refer to the same agent. */
export function agentKey(name: string): string {
  return name.toLowerCase();
}
