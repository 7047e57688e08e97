/** The part of a pino logger the fleet uses, so tests and callers can pass anything shaped like it. */
export interface FleetLogger {
  info(fields: object, message?: string): void;
  warn(fields: object, message?: string): void;
  error(fields: object, message?: string): void;
}

export const silentLogger: FleetLogger = {
  info: () => {},
  warn: () => {},
  error: () => {},
};
