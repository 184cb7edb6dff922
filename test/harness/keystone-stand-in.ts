/**
 * A Keystone v3 stand-in for the token API: password auth (`POST /v3/auth/tokens`, the token in
 * `X-Subject-Token`, a catalog in the body), token validation over HTTP (`GET /v3/auth/tokens` with
 * `X-Subject-Token`, for the controller's API) and in process (`validate`, so other stand-ins can refuse
 * requests without a valid token). It answers CORS like a Keystone configured to let a browser page in.
 */
import { createServer, type Server } from 'node:http';
import { randomUUID } from 'node:crypto';

/** A user the stand-in knows. */
export interface KeystoneUser {
  password: string;
  roles: string[];
}

/** One catalog endpoint. */
export interface CatalogEndpoint {
  type: string;
  interface: string;
  region: string;
  url: string;
}

/** A running Keystone stand-in. */
export class KeystoneStandIn {
  url = '';
  readonly users = new Map<string, KeystoneUser>();
  readonly catalog: CatalogEndpoint[] = [];
  /** Issued tokens → roles; `revoke` empties it (every token then fails validation). */
  private readonly tokens = new Map<string, string[]>();
  issued = 0;
  private server: Server | undefined;

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      let text = '';
      req.on('data', (c: Buffer) => (text += c.toString()));
      req.on('end', () => {
        const answer: { status: number; headers?: Record<string, string>; body: unknown } =
          req.method === 'OPTIONS'
            ? { status: 204, headers: { 'access-control-allow-methods': 'GET, POST', 'access-control-allow-headers': 'content-type, x-auth-token' }, body: '' }
            : req.method === 'POST' && req.url === '/v3/auth/tokens'
            ? this.issue(text)
            : req.method === 'GET' && req.url === '/v3/auth/tokens'
              ? this.check(String(req.headers['x-auth-token']), String(req.headers['x-subject-token']))
              : { status: 404, body: { error: { code: 404 } } };
        // CORS as Keystone's [cors] section allows a browser page (the dashboard) of another origin.
        const cors = { 'access-control-allow-origin': '*', 'access-control-expose-headers': 'X-Subject-Token' };
        res.writeHead(answer.status, { 'content-type': 'application/json', ...cors, ...answer.headers });
        res.end(JSON.stringify(answer.body));
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    const address = this.server.address();
    this.url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  }

  private issue(text: string): { status: number; headers?: Record<string, string>; body: unknown } {
    let name = '';
    let password = '';
    try {
      const user = (JSON.parse(text) as { auth: { identity: { password: { user: { name: string; password: string } } } } }).auth.identity.password.user;
      name = user.name;
      password = user.password;
    } catch {
      return { status: 400, body: { error: { code: 400 } } };
    }
    const user = this.users.get(name);
    if (!user || user.password !== password) return { status: 401, body: { error: { code: 401 } } };
    const token = `tok-${randomUUID()}`;
    this.tokens.set(token, user.roles);
    this.issued++;
    const byType = new Map<string, { interface: string; region: string; region_id: string; url: string }[]>();
    for (const e of this.catalog) byType.set(e.type, [...(byType.get(e.type) ?? []), { interface: e.interface, region: e.region, region_id: e.region, url: e.url }]);
    return {
      status: 201,
      headers: { 'x-subject-token': token },
      body: {
        token: {
          expires_at: new Date(Date.now() + 3600_000).toISOString(),
          roles: user.roles.map((r) => ({ name: r })),
          catalog: [...byType].map(([type, endpoints]) => ({ type, endpoints })),
        },
      },
    };
  }

  private check(caller: string, subject: string): { status: number; body: unknown } {
    if (!this.validate(caller)) return { status: 401, body: { error: { code: 401 } } };
    const roles = this.validate(subject);
    if (!roles) return { status: 404, body: { error: { code: 404 } } };
    const expires = new Date(Date.now() + 3600_000).toISOString();
    return { status: 200, body: { token: { expires_at: expires, project: { id: 'service', name: 'service' }, roles: roles.map((name) => ({ id: name, name })) } } };
  }

  /** Roles of a valid token, or undefined. */
  validate(token: string | undefined): string[] | undefined {
    return token === undefined ? undefined : this.tokens.get(token);
  }

  /** Invalidates every issued token (as an expiry or a Keystone restart would). */
  revokeAll(): void {
    this.tokens.clear();
  }

  close(): Promise<void> {
    return new Promise((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
