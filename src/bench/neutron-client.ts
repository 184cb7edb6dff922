/**
 * A minimal Neutron v2.0 HTTP client for load generation: keep-alive sockets, JSON in and out, and the
 * request's wall time. It speaks only the public API (no Alcor extensions), so the same client can be
 * pointed at neutron-server for a side-by-side comparison.
 */
import http from 'node:http';
import https from 'node:https';

/** Where and as whom to send requests. */
export interface NeutronClientOptions {
  /** Base URL of the endpoint, e.g. `http://127.0.0.1:9696` (without `/v2.0`). */
  url: string;
  /** Sent as `X-Project-Id` (noauth deployments); omitted when undefined. */
  project?: string;
  /** Sent as `X-Auth-Token` (Keystone deployments); omitted when undefined. */
  token?: string;
  /** Sockets kept open to the endpoint; set it to at least the request concurrency. */
  maxSockets: number;
  /** Per-request timeout in milliseconds. */
  timeoutMs: number;
}

/** A decoded answer with its wall time. */
export interface TimedResponse {
  status: number;
  // The body is whatever JSON the endpoint answered; callers pick the fields they need.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
  ms: number;
}

/** The answer was not the expected 2xx. */
export class UnexpectedResponse extends Error {
  override name = 'UnexpectedResponse';
  constructor(
    readonly method: string,
    readonly path: string,
    readonly response: TimedResponse,
  ) {
    super(`${method} ${path} answered ${response.status}: ${JSON.stringify(response.body)?.slice(0, 300)}`);
  }
}

/** JSON-over-HTTP client with keep-alive. */
export class NeutronClient {
  private readonly base: URL;
  private readonly agent: http.Agent;
  private readonly transport: typeof http | typeof https;

  constructor(private readonly options: NeutronClientOptions) {
    this.base = new URL(options.url);
    this.transport = this.base.protocol === 'https:' ? https : http;
    const AgentClass = this.base.protocol === 'https:' ? https.Agent : http.Agent;
    this.agent = new AgentClass({ keepAlive: true, maxSockets: options.maxSockets });
  }

  /** Sends one request; resolves with any status (network failures reject). */
  request(method: string, path: string, body?: unknown): Promise<TimedResponse> {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const headers: Record<string, string | number> = { accept: 'application/json' };
    if (payload) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = payload.length;
    }
    if (this.options.project !== undefined) headers['x-project-id'] = this.options.project;
    if (this.options.token !== undefined) headers['x-auth-token'] = this.options.token;
    const basePath = this.base.pathname.replace(/\/$/, '');
    return new Promise((resolve, reject) => {
      const started = performance.now();
      const req = this.transport.request(
        {
          protocol: this.base.protocol,
          hostname: this.base.hostname,
          port: this.base.port,
          path: `${basePath}${path}`,
          method,
          headers,
          agent: this.agent,
          timeout: this.options.timeoutMs,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('error', reject);
          res.on('end', () => {
            const ms = performance.now() - started;
            const text = Buffer.concat(chunks).toString('utf8');
            let parsed: unknown = text;
            try {
              parsed = text === '' ? undefined : JSON.parse(text);
            } catch {
              // Not JSON (a proxy's error page, say): keep the text for the error message.
            }
            resolve({ status: res.statusCode ?? 0, body: parsed, ms });
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error(`${method} ${path}: no answer within ${this.options.timeoutMs} ms`)));
      req.on('error', reject);
      req.end(payload);
    });
  }

  /** Sends a request and insists on a 2xx answer. */
  async expectOk(method: string, path: string, body?: unknown): Promise<TimedResponse> {
    const response = await this.request(method, path, body);
    if (response.status < 200 || response.status > 299) throw new UnexpectedResponse(method, path, response);
    return response;
  }

  /** Closes the idle keep-alive sockets. */
  close(): void {
    this.agent.destroy();
  }
}
