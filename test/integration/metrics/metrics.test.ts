// Test responses are arbitrary JSON.
/* eslint-disable @typescript-eslint/no-explicit-any */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { startAgentProcess } from '../../harness/agent-process.js';
import { sample, scrape } from '../../harness/prometheus.js';
import { startServerProcess } from '../../harness/server-process.js';
import { waitFor } from '../../harness/wait-for.js';

async function call(base: string, method: string, path: string, body?: unknown): Promise<any> {
  const res = await fetch(`${base}${path}`, { method, headers: { 'content-type': 'application/json' }, ...(body ? { body: JSON.stringify(body) } : {}) });
  return { status: res.status, body: res.status === 204 ? undefined : await res.json() };
}

// A real controller and a real agent process; the test does real work through the API and reads the
// metrics the way Prometheus does, before and after.
test('metrics - controller and agent endpoints move with real work', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'alcor-metrics-'));
  const server = await startServerProcess({ ALCOR_DATABASE_URL: `sqlite:${join(dir, 'alcor.db')}`, ALCOR_SOUTHBOUND_LISTEN: '127.0.0.1:0' });
  let agent: Awaited<ReturnType<typeof startAgentProcess>> | undefined;
  try {
    assert.ok(server.metrics, 'the controller logs where its metrics listener is');
    assert.ok(server.southbound);
    const before = await scrape(server.metrics);
    assert.equal(sample(before, 'alcor_port_programming_seconds_count'), 0);
    assert.equal(sample(before, 'alcor_hosts_connected', { transport: 'grpc' }), 0);
    assert.ok((sample(before, 'process_cpu_seconds_total') ?? 0) > 0, 'Node default metrics are exposed');

    agent = await startAgentProcess(server.southbound, 'metrics-host');
    await waitFor(async () => (await call(server.url, 'GET', '/v2.0/agents')).body.agents.some((a: any) => a.host === 'metrics-host' && a.alive), 10_000, 'agent registered');
    const network = (await call(server.url, 'POST', '/v2.0/networks', { network: { name: 'metrics' } })).body.network;
    await call(server.url, 'POST', '/v2.0/subnets', { subnet: { network_id: network.id, cidr: '10.9.0.0/24', ip_version: 4 } });
    const port = (await call(server.url, 'POST', '/v2.0/ports', { port: { network_id: network.id, 'binding:host_id': 'metrics-host' } })).body.port;
    await waitFor(async () => (await call(server.url, 'GET', `/v2.0/ports/${port.id}`)).body.port.status === 'ACTIVE', 10_000, 'port ACTIVE');
    assert.equal((await call(server.url, 'GET', '/v2.0/ports/not-a-port')).status, 404);

    const after = await scrape(server.metrics);
    const has = (name: string, labels: Record<string, string> = {}) => sample(after, name, labels) ?? -1;
    assert.equal(has('alcor_http_request_duration_seconds_count', { route: '/v2.0/ports', method: 'POST', status: '201' }), 1);
    assert.ok(has('alcor_http_request_duration_seconds_count', { route: '/v2.0/ports/:id', method: 'GET', status: '404' }) >= 1, 'errors are labelled with their status');
    assert.ok(has('alcor_store_transaction_duration_seconds_count', { engine: 'sqlite', kind: 'write' }) >= 3);
    assert.equal(has('alcor_store_transaction_retries_total'), 0, 'SQLite never retries');
    const head = has('alcor_outbox_head_revision');
    assert.ok(head >= 4, `outbox head ${head}: host, network, subnet and port records`);
    assert.equal(has('alcor_hosts_connected', { transport: 'grpc' }), 1);
    assert.equal(has('alcor_hosts_connected', { transport: 'nats' }), 0);
    await waitFor(async () => sample(await scrape(server.metrics!), 'alcor_host_lag_revisions', { host: 'metrics-host' }) === 0, 10_000, 'host lag back to 0');
    assert.ok(has('alcor_host_acked_revision', { host: 'metrics-host' }) > 0);
    assert.equal(has('alcor_port_programming_seconds_count'), 1, 'the one bound port became ACTIVE once');
    assert.ok(has('alcor_port_programming_seconds_sum') > 0);
    assert.ok(has('alcor_goal_state_sent_bytes_total', { transport: 'grpc' }) > 0);
    assert.ok(has('alcor_goal_state_sent_messages_total', { transport: 'grpc' }) >= 2, 'welcome plus at least one goal state');
    assert.equal(has('alcor_nats_publish_failures_total'), 0);

    const agentMetrics = await scrape(agent.metrics);
    const agentHas = (name: string, labels: Record<string, string> = {}) => sample(agentMetrics, name, labels) ?? -1;
    assert.ok(agentHas('alcor_agent_apply_duration_seconds_count', { driver: 'sim' }) >= 2, 'the start-up apply and the port delta at least');
    assert.ok(agentHas('alcor_agent_apply_duration_seconds_count', { driver: 'sim', mode: 'delta' }) >= 1);
    assert.ok(agentHas('alcor_agent_flows_installed') > 0);
    assert.equal(agentHas('alcor_agent_resyncs_total'), 1, 'the first sync is one snapshot');
    assert.equal(agentHas('alcor_agent_reconnects_total'), 0);
    assert.equal(agentHas('alcor_agent_driver_errors_total'), 0);

    const notMetrics = await fetch(`${server.metrics}/v2.0/networks`);
    assert.equal(notMetrics.status, 404, 'the metrics listener serves nothing but /metrics');
    await notMetrics.text();
  } finally {
    await agent?.stop();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
