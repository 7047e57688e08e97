/** A user error in the configuration: its message is one line meant for the person starting the server. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}
