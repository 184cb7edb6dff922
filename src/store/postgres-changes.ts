/**
 * Cross-replica commit notifications for the outbox. A PostgreSQL write transaction that appended
 * change records also runs `NOTIFY <channel>`; PostgreSQL delivers it at COMMIT (never for a
 * rollback) to every session listening on the channel, whichever replica committed. Each replica's
 * data-plane manager can then read `changes` past its last revision immediately instead of waiting
 * for its poll. Notifications carry no data and may coalesce: they are a doorbell, the outbox is the
 * truth, so a lost notification (listener reconnecting) costs only latency until the next poll.
 */
import pg from 'pg';

/** Channel of a schema: replicas of one deployment share it, test schemas do not. */
export function changesChannel(schema: string): string {
  return `alcor_changes_${schema}`.slice(0, 63);
}

/** How long to wait before reconnecting a listener whose connection dropped. */
const RECONNECT_DELAY_MS = 1000;

/** One dedicated LISTEN connection and the callbacks it rings. */
export class ChangeListener {
  private client: pg.Client | undefined;
  private readonly listeners = new Set<() => void>();
  private closed = false;
  private reconnectTimer: NodeJS.Timeout | undefined;

  private constructor(
    private readonly config: pg.ClientConfig,
    private readonly channel: string,
  ) {}

  /** Connects and starts listening; resolves once LISTEN is in effect. */
  static async start(config: pg.ClientConfig, channel: string): Promise<ChangeListener> {
    const listener = new ChangeListener(config, channel);
    await listener.connect();
    return listener;
  }

  private async connect(): Promise<void> {
    const client = new pg.Client(this.config);
    client.on('notification', () => {
      for (const listener of this.listeners) listener();
    });
    client.on('error', () => this.lost(client));
    client.on('end', () => this.lost(client));
    try {
      await client.connect();
      await client.query(`LISTEN "${this.channel}"`);
    } catch (err) {
      void client.end().catch(() => undefined);
      throw err;
    }
    if (this.closed) await client.end().catch(() => undefined);
    else this.client = client;
  }

  /** The connection in use failed: drop it and reconnect (a connection that never became current is ignored). */
  private lost(client: pg.Client): void {
    if (this.client !== client) return;
    this.client = undefined;
    void client.end().catch(() => undefined);
    this.reconnectLater();
  }

  /** Tries again every RECONNECT_DELAY_MS for as long as the server is away. */
  private reconnectLater(): void {
    if (this.closed || this.reconnectTimer) return;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      // Commits made while disconnected were not announced: ring once so readers catch up.
      this.connect().then(
        () => this.listeners.forEach((l) => l()),
        () => this.reconnectLater(),
      );
    }, RECONNECT_DELAY_MS);
    this.reconnectTimer.unref();
  }

  /** Adds a callback; returns its removal. */
  add(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Stops listening and closes the connection. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.reconnectTimer);
    await this.client?.end().catch(() => undefined);
    this.client = undefined;
  }
}
