/**
 * Keystone v3 token validation (what keystonemiddleware's auth_token does for Neutron): the controller
 * holds a service token (password auth of its service user, renewed before expiry or when Keystone
 * rejects it) and validates each `X-Auth-Token` with `GET /v3/auth/tokens` + `X-Subject-Token`.
 * Valid tokens are cached until they expire (or `cacheSeconds`, whichever is sooner), so a busy client
 * costs Keystone one validation per token, and concurrent first requests share one validation.
 */
import type { KeystoneConfig } from '../../config.js';
import type { RequestContext } from '../../domain/context.js';
import { AuthServiceUnavailable, Unauthorized } from '../../domain/errors.js';

interface CachedContext {
  ctx: RequestContext;
  expiresAt: number;
}

interface TokenBody {
  token?: { expires_at?: string; project?: { id?: string }; roles?: { name?: string }[] };
}

/** Most tokens kept; the oldest entry is dropped beyond this. */
const MAX_CACHED_TOKENS = 10000;
/** Renew the service token this long before it expires. */
const SERVICE_TOKEN_MARGIN_MS = 60_000;

/** Validates Keystone tokens into request contexts. */
export class KeystoneValidator {
  private readonly cache = new Map<string, CachedContext>();
  private readonly inflight = new Map<string, Promise<RequestContext>>();
  private serviceToken: { token: string; expiresAt: number } | undefined;
  /** Validations sent to Keystone (cache misses); for tests and metrics. */
  validations = 0;

  constructor(private readonly config: KeystoneConfig) {}

  /** The context of a token, from the cache or Keystone. Throws 401 for invalid tokens, 503 when Keystone is unreachable. */
  async validate(token: string): Promise<RequestContext> {
    const cached = this.cache.get(token);
    if (cached && cached.expiresAt > Date.now()) return cached.ctx;
    if (cached) this.cache.delete(token);
    let pending = this.inflight.get(token);
    if (!pending) {
      pending = this.fetchContext(token).finally(() => this.inflight.delete(token));
      this.inflight.set(token, pending);
    }
    return pending;
  }

  private async fetchContext(token: string): Promise<RequestContext> {
    this.validations += 1;
    let res = await this.send('GET', '/v3/auth/tokens', { 'x-auth-token': await this.service(false), 'x-subject-token': token });
    if (res.status === 401 || res.status === 403) {
      res = await this.send('GET', '/v3/auth/tokens', { 'x-auth-token': await this.service(true), 'x-subject-token': token });
    }
    if (res.status === 404 || res.status === 401) throw new Unauthorized('The request you have made requires authentication: invalid or expired token.');
    if (res.status !== 200) throw new AuthServiceUnavailable(`Keystone answered ${res.status} when validating a token`);
    const body = (await res.json().catch(() => ({}))) as TokenBody;
    const projectId = body.token?.project?.id;
    if (!projectId) throw new Unauthorized('The token is not scoped to a project.');
    const roles = (body.token?.roles ?? []).map((r) => (r.name ?? '').toLowerCase()).filter(Boolean);
    const ctx: RequestContext = { projectId, roles, isAdmin: roles.includes('admin') };
    const tokenExpiry = Date.parse(body.token?.expires_at ?? '');
    const expiresAt = Math.min(Number.isNaN(tokenExpiry) ? Infinity : tokenExpiry, Date.now() + this.config.cacheSeconds * 1000);
    if (this.cache.size >= MAX_CACHED_TOKENS) {
      const oldest = this.cache.keys().next().value;
      if (oldest !== undefined) this.cache.delete(oldest);
    }
    if (expiresAt > Date.now()) this.cache.set(token, { ctx, expiresAt });
    return ctx;
  }

  private async service(renew: boolean): Promise<string> {
    if (!renew && this.serviceToken && this.serviceToken.expiresAt - SERVICE_TOKEN_MARGIN_MS > Date.now()) return this.serviceToken.token;
    const { username, password, project, domain } = this.config;
    const body = {
      auth: {
        identity: { methods: ['password'], password: { user: { name: username, domain: { name: domain }, password } } },
        scope: { project: { name: project, domain: { name: domain } } },
      },
    };
    const res = await this.send('POST', '/v3/auth/tokens', { 'content-type': 'application/json' }, JSON.stringify(body));
    const token = res.headers.get('x-subject-token');
    if (res.status !== 201 || !token) {
      throw new AuthServiceUnavailable(`Keystone refused the service user ${username} (status ${res.status}); check ALCOR_KEYSTONE_* settings`);
    }
    const parsed = (await res.json().catch(() => ({}))) as TokenBody;
    const expiresAt = Date.parse(parsed.token?.expires_at ?? '');
    this.serviceToken = { token, expiresAt: Number.isNaN(expiresAt) ? Date.now() + 3600_000 : expiresAt };
    return token;
  }

  private async send(method: string, path: string, headers: Record<string, string>, body?: string): Promise<Response> {
    try {
      return await fetch(`${this.config.url}${path}`, { method, headers, body, signal: AbortSignal.timeout(10_000) });
    } catch (err) {
      throw new AuthServiceUnavailable(`Keystone at ${this.config.url} is unreachable: ${(err as Error).message}`, { cause: err });
    }
  }
}
