/** The small structured logger the southbound uses (pino and fastify's `app.log` satisfy it). */

/** Log sink. */
export interface SouthboundLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** Logs nothing. */
export const silentLogger: SouthboundLogger = { debug() {}, info() {}, warn() {}, error() {} };

/**
 * Rate-limits a log call per key: bad remote input is logged at most `perSecond` times a second per
 * key and otherwise counted, so a misbehaving agent cannot flood the log (STYLE.md rule 7).
 */
export class RateLimitedLog {
  private readonly windows = new Map<string, { start: number; count: number }>();
  suppressed = 0;

  constructor(private readonly log: SouthboundLogger, private readonly perSecond = 5) {}

  warn(key: string, obj: object, msg: string): void {
    const now = Date.now();
    let w = this.windows.get(key);
    if (!w || now - w.start >= 1000) {
      w = { start: now, count: 0 };
      this.windows.set(key, w);
      if (this.windows.size > 10_000) this.windows.clear();
    }
    if (++w.count > this.perSecond) {
      this.suppressed++;
      return;
    }
    this.log.warn(obj, msg);
  }
}
