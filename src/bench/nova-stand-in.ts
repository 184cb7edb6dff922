/**
 * A Nova stand-in (an HTTP server) that holds every request to Nova's contract for
 * `POST /v2.1/os-server-external-events`, as nova-api (Zed) answers it: the path, a microversion header
 * (`X-OpenStack-Nova-API-Version` or `OpenStack-API-Version: compute X.Y`, 2.1 to 2.93), a valid Keystone
 * token with the admin role in keystone mode (401 / 403 otherwise), the event schema (name among the
 * network events, UUID `server_uuid`, string `tag`, status among Nova's, nothing else) with Nova's 400, and
 * per-event results: 200 for an instance it knows on a host, 404 for an unknown instance, 422 for one
 * without a host; 207 as soon as one event was not accepted.
 *
 * Tests control it: `servers` (known instances and their host), `down()`/`up()` (connection refused, then
 * back on the same port), `failWith(status)` (answer every request with that status), `answerRaw()` (a
 * malformed answer), `hold()` (take requests and never answer). `accepted` lists the events Nova took, with their arrival time.
 * The tests use it (test/harness re-exports it) and so does `alcor bench nova`.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

/** Who decides whether a token is valid (a Keystone stand-in): the token's roles, or undefined. */
export interface TokenValidator {
  validate(token: string | undefined): string[] | undefined;
}

const NAMES = ['network-changed', 'network-vif-plugged', 'network-vif-unplugged', 'network-vif-deleted'];
const STATUSES = ['failed', 'completed', 'in-progress'];
const UUID = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;
const MAX_MINOR = 93;

/** An event as Nova took it. */
export interface AcceptedEvent {
  name: string;
  server_uuid: string;
  tag?: string;
  status?: string;
  /** Date.now() when the request arrived. */
  at: number;
}

/** A request that broke the contract, and Nova's answer to it. */
export interface RefusedRequest {
  status: number;
  reason: string;
}

type Answer = { status: number; body: unknown };

/** A running Nova stand-in. */
export class NovaStandIn {
  /** Base URL to configure as ALCOR_NOVA_URL (…/v2.1). */
  url = '';
  port = 0;
  /** Known instances → the host they run on (null: none, e.g. a build that failed before scheduling). */
  readonly servers = new Map<string, string | null>();
  readonly accepted: AcceptedEvent[] = [];
  readonly refused: RefusedRequest[] = [];
  /** Requests answered 200 or 207. */
  requests = 0;
  private server: Server | undefined;
  private failure: number | undefined;
  private holding = false;
  private raw: { status: number; body: string } | undefined;
  private readonly held: ServerResponse[] = [];

  /** `keystone`: require a valid admin token from it (keystone mode). */
  private readonly waiters = new Map<string, (event: AcceptedEvent) => void>();

  constructor(private readonly keystone?: TokenValidator) {}

  /** Resolves with the first event named `name` for port `tag` taken from now on. */
  nextEvent(name: string, tag: string): Promise<AcceptedEvent> {
    return new Promise((resolve) => this.waiters.set(`${name} ${tag}`, resolve));
  }

  async start(port = 0): Promise<void> {
    this.server = createServer((req, res) => this.onRequest(req, res));
    await new Promise<void>((resolve, reject) => {
      this.server?.once('error', reject);
      this.server?.listen(port, '127.0.0.1', resolve);
    });
    const address = this.server.address();
    this.port = typeof address === 'object' && address ? address.port : 0;
    this.url = `http://127.0.0.1:${this.port}/v2.1`;
  }

  /** Stops listening (connections are refused) and drops held requests. */
  async down(): Promise<void> {
    for (const res of this.held.splice(0)) res.destroy();
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Listens again on the same port. */
  async up(): Promise<void> {
    await this.start(this.port);
  }

  /** Answers every request with `status` (a 5xx outage) until called with undefined. */
  failWith(status: number | undefined): void {
    this.failure = status;
  }

  /** Answers every request with this status and raw body (a broken Nova) until called with undefined. */
  answerRaw(answer: { status: number; body: string } | undefined): void {
    this.raw = answer;
  }

  /** Takes requests and never answers them (a Nova that hangs mid-batch). */
  hold(): void {
    this.holding = true;
  }

  /** Stops holding: held requests are dropped (their connections reset), new ones are answered. */
  unhold(): void {
    this.holding = false;
    for (const res of this.held.splice(0)) res.destroy();
  }

  /** Requests currently held. */
  get heldCount(): number {
    return this.held.length;
  }

  /** Events taken for `server` with `name`. */
  eventsFor(server: string, name?: string): AcceptedEvent[] {
    return this.accepted.filter((e) => e.server_uuid === server && (name === undefined || e.name === name));
  }

  close(): Promise<void> {
    return this.down();
  }

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    const at = Date.now();
    let text = '';
    req.on('data', (c: Buffer) => (text += c.toString()));
    req.on('end', () => {
      if (this.holding) {
        this.held.push(res);
        return;
      }
      if (this.raw) {
        this.refused.push({ status: this.raw.status, reason: `raw answer: ${this.raw.body}` });
        res.writeHead(this.raw.status, { 'content-type': 'application/json' });
        res.end(this.raw.body);
        return;
      }
      const answer = this.failure !== undefined ? { status: this.failure, body: { computeFault: { code: this.failure, message: 'stand-in outage' } } } : this.answer(req, text, at);
      if (answer.status !== 200 && answer.status !== 207) this.refused.push({ status: answer.status, reason: JSON.stringify(answer.body) });
      else this.requests++;
      res.writeHead(answer.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(answer.body));
    });
  }

  private answer(req: IncomingMessage, text: string, at: number): Answer {
    if (req.url?.split('?')[0] !== '/v2.1/os-server-external-events') return { status: 404, body: { itemNotFound: { code: 404, message: 'The resource could not be found.' } } };
    if (req.method !== 'POST') return { status: 405, body: { computeFault: { code: 405, message: 'Method not allowed' } } };
    if (this.keystone) {
      const roles = this.keystone.validate(header(req, 'x-auth-token'));
      if (!roles) return { status: 401, body: { error: { code: 401, title: 'Unauthorized', message: 'The request you have made requires authentication.' } } };
      if (!roles.includes('admin')) {
        return { status: 403, body: { forbidden: { code: 403, message: "Policy doesn't allow os_compute_api:os-server-external-events:create to be performed." } } };
      }
    }
    const version = microversion(req);
    if (typeof version === 'string') return { status: 406, body: { computeFault: { code: 406, message: version } } };
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      return badRequest('Malformed request body');
    }
    const invalid = invalidEvents(body);
    if (invalid) return badRequest(invalid);
    const results = (body as { events: Record<string, string>[] }).events.map((e) => {
      const host = this.servers.get(e.server_uuid ?? '');
      const code = host === undefined ? 404 : host === null ? 422 : 200;
      if (code === 200) {
        const event = { ...(e as unknown as AcceptedEvent), at };
        this.accepted.push(event);
        const key = `${event.name} ${event.tag ?? ''}`;
        this.waiters.get(key)?.(event);
        this.waiters.delete(key);
      }
      return { ...e, status: code === 200 ? 'completed' : 'failed', code };
    });
    return { status: results.every((r) => r.code === 200) ? 200 : 207, body: { events: results } };
  }
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** The requested microversion, or why Nova would refuse it. Nova's legacy and standard headers must agree. */
function microversion(req: IncomingMessage): number | string {
  const legacy = header(req, 'x-openstack-nova-api-version');
  const standard = /^compute\s+(\S+)$/i.exec(header(req, 'openstack-api-version') ?? '')?.[1];
  const requested = standard ?? legacy;
  if (requested === undefined) return 'No microversion header (X-OpenStack-Nova-API-Version or OpenStack-API-Version: compute X.Y)';
  if (legacy !== undefined && standard !== undefined && legacy !== standard) return `Conflicting microversions ${legacy} and ${standard}`;
  const m = /^2\.(\d+)$/.exec(requested);
  if (!m || Number(m[1]) < 1 || Number(m[1]) > MAX_MINOR) return `Version ${requested} is not supported by the API. Minimum is 2.1 and maximum is 2.${MAX_MINOR}.`;
  return Number(requested);
}

function badRequest(message: string): Answer {
  return { status: 400, body: { badRequest: { code: 400, message } } };
}

/** Why Nova's schema refuses the body, or undefined. */
function invalidEvents(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null || Object.keys(body).join() !== 'events') return "Invalid input: the body must be {'events': [...]} and nothing else";
  const events = (body as { events: unknown }).events;
  if (!Array.isArray(events) || events.length === 0) return 'Invalid input for field/attribute events: it must be a non-empty list';
  for (const e of events) {
    if (typeof e !== 'object' || e === null) return 'Invalid input for field/attribute events: not an object';
    const extra = Object.keys(e).filter((k) => !['name', 'server_uuid', 'tag', 'status'].includes(k));
    if (extra.length > 0) return `Additional properties are not allowed (${extra.join(', ')} were unexpected)`;
    const { name, server_uuid: server, tag, status } = e as Record<string, unknown>;
    if (typeof name !== 'string' || !NAMES.includes(name)) return `Invalid input for field/attribute name. Value: ${String(name)}. '${String(name)}' is not one of ${JSON.stringify(NAMES)}`;
    if (typeof server !== 'string' || !UUID.test(server)) return `Invalid input for field/attribute server_uuid. Value: ${String(server)}. '${String(server)}' is not a 'uuid'`;
    if (tag !== undefined && (typeof tag !== 'string' || tag.length > 255)) return `Invalid input for field/attribute tag. Value: ${String(tag)}.`;
    if (status !== undefined && (typeof status !== 'string' || !STATUSES.includes(status))) return `Invalid input for field/attribute status. Value: ${String(status)}.`;
  }
  return undefined;
}
