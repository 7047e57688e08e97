import { isConfigError } from './config-error.js';

/**
 * What the CLI writes to stderr when a command fails: a user error is one line without a stack; anything else is a
 * bug and keeps its stack for the report.
 */
export function errorReport(error: unknown): string {
  const isUserError = isConfigError(error) || (error instanceof Error && 'code' in error && 'syscall' in error);
  const text = isUserError
    ? (error as Error).message
    : error instanceof Error
      ? (error.stack ?? error.message)
      : String(error);
  return `fleet-mcp: ${text}\n`;
}
