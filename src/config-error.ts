/** Marks every ConfigError, its subclasses' too, in a way that holds across separately bundled copies of this class. */
const CONFIG_ERROR = Symbol.for('fleet-mcp.ConfigError');

/** A user error in the configuration: its message is one line meant for the person starting the server. */
export class ConfigError extends Error {
  override name = 'ConfigError';
  readonly [CONFIG_ERROR] = true;
}

/**
 * `instanceof ConfigError` for code that may hold another copy of the class: the npm build bundles the server
 * commands apart from the CLI, and each bundle has its own.
 */
export function isConfigError(error: unknown): error is ConfigError {
  return typeof error === 'object' && error !== null && CONFIG_ERROR in error;
}
