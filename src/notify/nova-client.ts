/**
 * One `POST /os-server-external-events` to Nova and the reading of its answer. Nova answers 200 when it
 * accepted every event and 207 with a per-event `code` otherwise (404: no such instance, 422: instance
 * without a host; both final). Everything else is sorted into what the sender does next: retry later
 * (Nova unreachable, 5xx, a malformed answer, a policy refusal an operator can fix), renew the token
 * (401), or drop the batch (400: Nova will never take it).
 */
import type { NovaEvent } from './nova-event.js';
import type { KeystoneSession } from './keystone-session.js';

/** Microversion of the requests: 2.1 carries every network event. */
export const NOVA_MICROVERSION = '2.1';

/** What became of one batch. */
export type NovaAnswer =
  /** Nova answered for each event: `codes[i]` is the result of `events[i]` (200 accepted). */
  | { kind: 'answered'; codes: number[] }
  /** Nova refused the request as malformed: resending it cannot help. */
  | { kind: 'rejected'; status: number; detail: string }
  /** Not delivered (or no usable answer): send again later. */
  | { kind: 'retry'; detail: string };

/** Where and how to reach Nova. */
export interface NovaClientOptions {
  /** Nova's compute endpoint, e.g. http://nova:8774/v2.1; undefined = from the Keystone catalog. */
  url: string | undefined;
  /** Keystone session (keystone mode); undefined sends no token (noauth). */
  keystone: KeystoneSession | undefined;
  /** Per-request timeout. */
  timeoutMs: number;
}

interface EventsAnswer {
  events?: { code?: unknown; tag?: unknown; server_uuid?: unknown }[];
}

/** Sends event batches to Nova. */
export class NovaClient {
  constructor(private readonly options: NovaClientOptions) {}

  /** Sends one batch; never throws. `signal` aborts it (the controller is stopping). */
  async send(events: readonly NovaEvent[], signal?: AbortSignal): Promise<NovaAnswer> {
    try {
      let res = await this.post(events, false, signal);
      if (res.status === 401 && this.options.keystone) res = await this.post(events, true, signal);
      return await this.read(res, events);
    } catch (err) {
      return { kind: 'retry', detail: err instanceof Error ? err.message : String(err) };
    }
  }

  private async post(events: readonly NovaEvent[], renewToken: boolean, signal: AbortSignal | undefined): Promise<Response> {
    const keystone = this.options.keystone;
    const base = this.options.url ?? (await keystone?.computeUrl());
    if (!base) throw new Error('no compute endpoint: set ALCOR_NOVA_URL or add Nova to the Keystone catalog');
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      accept: 'application/json',
      'x-openstack-nova-api-version': NOVA_MICROVERSION,
      'openstack-api-version': `compute ${NOVA_MICROVERSION}`,
    };
    if (keystone) headers['x-auth-token'] = await keystone.token(renewToken);
    return fetch(`${base}/os-server-external-events`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ events }),
      signal: signal ? AbortSignal.any([signal, AbortSignal.timeout(this.options.timeoutMs)]) : AbortSignal.timeout(this.options.timeoutMs),
    });
  }

  private async read(res: Response, events: readonly NovaEvent[]): Promise<NovaAnswer> {
    const text = await res.text();
    if (res.status === 400) return { kind: 'rejected', status: 400, detail: text.slice(0, 500) };
    if (res.status !== 200 && res.status !== 207) return { kind: 'retry', detail: `HTTP ${res.status}: ${text.slice(0, 300)}` };
    let answer: EventsAnswer;
    try {
      answer = JSON.parse(text) as EventsAnswer;
    } catch {
      return { kind: 'retry', detail: `HTTP ${res.status} with a body that is not JSON: ${text.slice(0, 200)}` };
    }
    const results = answer.events;
    if (!Array.isArray(results) || results.length !== events.length || results.some((r) => typeof r?.code !== 'number')) {
      return { kind: 'retry', detail: `HTTP ${res.status} without one result per event: ${text.slice(0, 200)}` };
    }
    return { kind: 'answered', codes: results.map((r) => r.code as number) };
  }
}
