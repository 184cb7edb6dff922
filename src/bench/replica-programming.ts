/**
 * New-port programming latency across replicas (`alcor bench replicas --hosts H`): `hosts` simulated hosts
 * (sim-driver agents on real gRPC streams, host i connected to replica i mod N), then `samples` port creates
 * one at a time, each bound to the next host and sent through a replica other than that host's (when N > 1):
 * POST → status ACTIVE, split into API call, commit announced (PostgreSQL NOTIFY, as the other replicas hear
 * it), agent applied the revision, and ACTIVE readable in the database.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { agentAppliedAt, spawnAgentWorker, stopAgentWorkers, type AgentWorker } from './agent-workers.js';
import type { NeutronClient } from './neutron-client.js';
import { summarize, type LatencySummary } from './stats.js';
import type { Store } from '../store/store.js';

/** New-port programming latency, each sample split at the moments observed. */
export interface ProgrammingResult {
  hosts: number;
  /** Samples created through a replica other than the one their host's agent is connected to. */
  crossReplicaSamples: number;
  /** POST → 201 at the client. */
  api: LatencySummary;
  /** POST → the commit's NOTIFY heard by a listener like the replicas' own (PostgreSQL only). */
  commitHeard?: LatencySummary;
  /** NOTIFY heard → the agent applied the revision: wake-up, outbox read, compile, gRPC delivery, apply. */
  heardToApplied?: LatencySummary;
  /** POST → the agent applied the port's revision (before its ack is sent). */
  applied: LatencySummary;
  /** Applied → status ACTIVE readable: ack, the status write (a write transaction), and polling (1 ms). */
  appliedToActive: LatencySummary;
  /** POST → ACTIVE. */
  active: LatencySummary;
}

function now(): number {
  return performance.timeOrigin + performance.now();
}

async function waitForStatus(store: Store, portId: string, status: string, timeoutMs = 60_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const row = await store.read((q) => q.get<{ status: string }>('SELECT status FROM ports WHERE id = ?', [portId]));
    if (row?.status === status) return now();
    if (Date.now() > deadline) throw new Error(`port ${portId} not ${status} within ${timeoutMs} ms (${row?.status})`);
    await new Promise((r) => setTimeout(r, 1));
  }
}

/**
 * Programming latency: hosts spread over the replicas, ports created one at a time through another
 * replica than their host's. `store` is the bench's own connection to the same database (outbox
 * revisions, status polls, and on PostgreSQL the commit notifications).
 */
export async function measureProgramming(southbounds: readonly string[], clients: readonly NeutronClient[], store: Store, net: string, o: { hosts: number; samples: number }): Promise<ProgrammingResult> {
  const stateRoot = mkdtempSync(join(tmpdir(), 'alcor-replica-bench-agents-'));
  const workers: AgentWorker[] = [];
  const heard: number[] = [];
  const stopListening = 'onChanges' in store ? await (store as Store & { onChanges(l: () => void): Promise<() => void> }).onChanges(() => heard.push(now())) : undefined;
  try {
    for (let i = 0; i < o.hosts; i++) workers.push(spawnAgentWorker({ controller: southbounds[i % southbounds.length] as string, prefix: 'sim', first: i, count: 1, stateRoot, recordApplied: true }));
    await Promise.all(workers.map((w) => w.ready));
    const samples = { api: [] as number[], commitHeard: [] as number[], heardToApplied: [] as number[], applied: [] as number[], appliedToActive: [] as number[], active: [] as number[] };
    let crossReplica = 0;
    let last: { id: string; client: NeutronClient } | undefined;
    // The first create per host brings it into the VPC (a full scope): warm-up, not a sample.
    for (let i = 0; i < o.hosts + o.samples; i++) {
      const hostIndex = i % o.hosts;
      const host = `sim-${hostIndex}`;
      const agentReplica = hostIndex % southbounds.length;
      const viaReplica = (agentReplica + 1) % southbounds.length;
      heard.length = 0;
      const t0 = now();
      const created = await (clients[viaReplica] as NeutronClient).expectOk('POST', '/v2.0/ports', {
        port: { network_id: net, 'binding:host_id': host, device_owner: 'compute:bench' },
      });
      const tApi = now();
      const id = created.body.port.id as string;
      const change = await store.read((q) =>
        q.get<{ r: number }>("SELECT revision AS r FROM changes WHERE resource_type = 'port' AND resource_id = ? AND operation = 'create'", [id]),
      );
      if (!change) throw new Error(`no outbox record for port ${id}`);
      const tApplied = await agentAppliedAt(workers[hostIndex] as AgentWorker, host, Number(change.r));
      const tActive = await waitForStatus(store, id, 'ACTIVE');
      last = { id, client: clients[agentReplica] as NeutronClient };
      if (i < o.hosts) continue;
      if (viaReplica !== agentReplica) crossReplica++;
      samples.api.push(tApi - t0);
      samples.applied.push(tApplied - t0);
      samples.appliedToActive.push(tActive - tApplied);
      samples.active.push(tActive - t0);
      const tHeard = heard.find((t) => t >= t0);
      if (tHeard !== undefined) {
        samples.commitHeard.push(tHeard - t0);
        samples.heardToApplied.push(tApplied - tHeard);
      }
    }
    // What the API shows, through the replica the agent is on: the status the database poll saw.
    if (last) {
      const status = (await last.client.expectOk('GET', `/v2.0/ports/${last.id}`)).body.port.status as string;
      if (status !== 'ACTIVE') throw new Error(`port ${last.id} is ${status} through the API`);
    }
    return {
      hosts: o.hosts,
      crossReplicaSamples: crossReplica,
      api: summarize(samples.api),
      ...(samples.commitHeard.length ? { commitHeard: summarize(samples.commitHeard), heardToApplied: summarize(samples.heardToApplied) } : {}),
      applied: summarize(samples.applied),
      appliedToActive: summarize(samples.appliedToActive),
      active: summarize(samples.active),
    };
  } finally {
    stopListening?.();
    await stopAgentWorkers(workers);
    rmSync(stateRoot, { recursive: true, force: true });
  }
}

