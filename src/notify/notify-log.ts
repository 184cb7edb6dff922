/** The structured logger events to Nova write to (pino and fastify's `app.log` satisfy it). */

/** Log sink. */
export interface NotifyLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** Logs nothing. */
export const silentNotifyLogger: NotifyLogger = { info() {}, warn() {}, error() {} };
