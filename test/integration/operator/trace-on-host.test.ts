// Test responses are arbitrary JSON.
/* eslint-disable @typescript-eslint/no-explicit-any */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { create, toBinary } from '@bufbuild/protobuf';
import { DatapathTraceReplySchema, HelloSchema, WatchRequestSchema } from '../../../src/proto/alcor/v1/southbound_pb.js';
import { WatchClient } from '../../../src/agent/watch-client.js';
import { runAlcor } from '../../harness/alcor-cli.js';
import { waitFor } from '../../harness/wait-for.js';
import { withSouthbound, type TestStack } from '../southbound/harness.js';

async function createResource(s: TestStack, collection: string, key: string, body: Record<string, unknown>): Promise<any> {
  const res = await s.request('POST', `/v2.0/${collection}`, { [key]: body });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return res.body[key];
}

const trace = async (s: TestStack, query: Record<string, string>) => s.request('GET', `/alcor/v1/trace?${new URLSearchParams(query).toString()}`);
const request = (kind: Parameters<typeof create<typeof WatchRequestSchema>>[1]) => toBinary(WatchRequestSchema, create(WatchRequestSchema, kind));

test('alcor trace --on-host - the source host agent answers on the Watch stream; not connected, silent (old) agents and stray replies', async () => {
  await withSouthbound(async (f) => {
    const s = await f.stack({ traceTimeoutMs: 1500 });
    const sim = await f.agent(s.address, 'oh-sim');
    // An agent that predates datapath traces: it says Hello and heartbeats, and never answers one.
    const client = new WatchClient(s.address);
    const old = client.watch();
    old.on('data', () => {});
    old.on('error', () => {});
    old.write(request({ kind: { case: 'hello', value: create(HelloSchema, { hostId: 'oh-old', datapathIp: '192.0.2.9', protocolVersion: 1 }) } }));
    try {
      await waitFor(async () => (await s.request('GET', '/alcor/v1/hosts')).body.hosts.filter((h: any) => h.live).length === 2, 10_000, 'two hosts live');
      const net = await createResource(s, 'networks', 'network', { name: 'oh' });
      await createResource(s, 'subnets', 'subnet', { network_id: net.id, cidr: '10.61.0.0/24', ip_version: 4 });
      const p1 = await createResource(s, 'ports', 'port', { network_id: net.id, 'binding:host_id': 'oh-sim' });
      const p2 = await createResource(s, 'ports', 'port', { network_id: net.id, 'binding:host_id': 'oh-old' });
      await waitFor(async () => (await s.request('GET', `/v2.0/ports/${p1.id}`)).body.port.status === 'ACTIVE', 10_000, 'p1 ACTIVE');
      const ip = (p: any) => p.fixed_ips[0].ip_address as string;

      // The sim agent answers the request it was sent: it has no datapath to trace.
      const answered = await trace(s, { from_port: p1.id, to: ip(p2), proto: 'icmp', on_host: 'true' });
      assert.equal(answered.status, 503, JSON.stringify(answered.body));
      assert.match(answered.body.NeutronError.message, /^The agent of host oh-sim could not trace its data path: the sim driver has no datapath/);
      // Without on_host nothing is asked of the agent.
      assert.equal((await trace(s, { from_port: p1.id, to: ip(p2), proto: 'icmp', on_host: 'false' })).body.trace.on_host, undefined);
      assert.equal((await trace(s, { from_port: p1.id, to: ip(p2), proto: 'icmp', on_host: 'yes' })).status, 400);

      // The old agent does not answer: the controller gives up after its timeout.
      await waitFor(async () => (await trace(s, { from_port: p2.id, to: ip(p1), proto: 'icmp' })).status === 200, 10_000, 'p2 compiled on oh-old');
      const started = Date.now();
      const silent = await trace(s, { from_port: p2.id, to: ip(p1), proto: 'tcp', dport: '22', on_host: 'true' });
      assert.equal(silent.status, 503, JSON.stringify(silent.body));
      assert.match(silent.body.NeutronError.message, /^The agent of host oh-old did not answer the datapath trace within 1500 ms/);
      assert.ok(Date.now() - started >= 1400);

      // A reply to no pending request (an id never sent, or one that timed out) is ignored.
      const ignored = s.southbound.server.counters.ignored;
      old.write(request({ kind: { case: 'traceReply', value: create(DatapathTraceReplySchema, { requestId: 'never-sent', output: 'forged' }) } }));
      await waitFor(() => s.southbound.server.counters.ignored > ignored, 5000, 'stray reply ignored');

      // The CLI: exit 2 with the reason when the host cannot trace.
      const cli = await runAlcor(['trace', '--url', s.url, '--from-port', p1.id, '--to', ip(p2), '--proto', 'icmp', '--on-host']);
      assert.equal(cli.code, 2);
      assert.match(cli.stderr, /could not trace its data path: the sim driver has no datapath/);

      // The host's agent is gone: a clear error at once.
      await sim.agent.close();
      await waitFor(() => !s.southbound.server.sessions.has('oh-sim'), 10_000, 'oh-sim disconnected');
      const gone = await trace(s, { from_port: p1.id, to: ip(p2), proto: 'icmp', on_host: 'true' });
      assert.equal(gone.status, 503, JSON.stringify(gone.body));
      assert.equal(gone.body.NeutronError.message, 'The agent of host oh-sim is not connected to this controller replica, so it cannot trace its data path.');
    } finally {
      old.cancel();
      client.close();
    }
  });
});
