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

/** A warning or error the southbound logged (operator view). */
export interface RecordedEvent {
  /** Epoch ms. */
  at: number;
  level: 'warn' | 'error';
  message: string;
  /** The host it concerns, when the log line named one. */
  host: string;
  /** The rest of the log line's fields, as text. */
  details: string;
}

/** A log field as text: an error's message, a string as is, anything else as JSON when it can be. */
function describe(v: unknown): string {
  if (v instanceof Error) return v.message;
  if (typeof v === 'string') return v;
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}

/**
 * The last warnings and errors of the southbound (refused agents, malformed messages, failed publishes,
 * data-plane errors), at most `capacity`, oldest first. `tee` wraps the logger so both see every line.
 */
export class RecentEvents {
  readonly entries: RecordedEvent[] = [];

  constructor(private readonly capacity = 200) {}

  tee(log: SouthboundLogger): SouthboundLogger {
    return {
      debug: (obj, msg) => log.debug(obj, msg),
      info: (obj, msg) => log.info(obj, msg),
      warn: (obj, msg) => {
        this.record('warn', obj, msg);
        log.warn(obj, msg);
      },
      error: (obj, msg) => {
        this.record('error', obj, msg);
        log.error(obj, msg);
      },
    };
  }

  private record(level: RecordedEvent['level'], obj: object, msg = ''): void {
    const { host, ...rest } = obj as { host?: unknown };
    const details = Object.entries(rest)
      .map(([k, v]) => `${k}=${describe(v)}`)
      .join(' ');
    this.entries.push({ at: Date.now(), level, message: msg, host: typeof host === 'string' ? host : '', details });
    if (this.entries.length > this.capacity) this.entries.shift();
  }
}
