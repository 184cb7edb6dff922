/**
 * The imported state reaches hosts: with a controller (data-plane manager + gRPC southbound) running on
 * the store and sim agents for two of the fixture's hosts, an import makes the ports bound there appear
 * in those hosts' goal state and turn ACTIVE, and a catch-up's live migration (beta-vm-5 compute-04 →
 * compute-01) moves the port to its new host.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { compileServerOptions } from '../../../src/config.js';
import { importFromNeutron } from '../../../src/migrate/importer.js';
import { waitFor } from '../../harness/wait-for.js';
import { cleanup, startAgent, startStack, type TestAgent, type TestStack } from '../southbound/harness.js';
import { FIXTURE_QUOTA_DEFAULTS, readNeutron } from './migrate-helpers.js';
import { FIXTURE_DIR, startNeutronStandIn } from './neutron-stand-in.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

test('migrate - a running controller programs the hosts from the imported state, and from a catch-up', { timeout: 120_000 }, async () => {
  const controllers: TestStack[] = [];
  const agents: TestAgent[] = [];
  const standIn = await startNeutronStandIn();
  try {
    const stack = await startStack();
    controllers.push(stack);
    const h1 = await startAgent(stack.address, 'compute-01', { datapathIp: '192.0.2.31' });
    const h2 = await startAgent(stack.address, 'compute-02', { datapathIp: '192.0.2.32' });
    agents.push(h1, h2);
    await waitFor(() => stack.southbound.server.sessions.size === 2, 20_000, 'agents connected');
    const config = compileServerOptions({ databaseUrl: 'sqlite::memory:', quotaDefaults: FIXTURE_QUOTA_DEFAULTS });
    const first = await importFromNeutron({ store: stack.api, config, source: await readNeutron(standIn), sourceUrl: standIn.url });
    assert.deepEqual(first.conflicts, []);

    const ports = standIn.body<{ ports: Json[] }>('ports.json').ports;
    const onHost = (host: string) => ports.filter((p) => p['binding:host_id'] === host).map((p) => p.id as string);
    assert.ok(onHost('compute-01').length > 0 && onHost('compute-02').length > 0);
    await waitFor(() => onHost('compute-01').every((id) => h1.agent.desired.view.port.has(id)), 20_000, 'compute-01 ports in its goal state');
    await waitFor(() => onHost('compute-02').every((id) => h2.agent.desired.view.port.has(id)), 20_000, 'compute-02 ports in its goal state');
    const vm1 = ports.find((p) => p.name === 'alpha-vm-1') as Json;
    for (const group of vm1.security_groups as string[]) assert.ok(h1.agent.desired.view.securityGroup.has(group), `group ${group} on compute-01`);
    await waitFor(async () => (await stack.request('GET', `/v2.0/ports/${vm1.id}`)).body.port.status === 'ACTIVE', 20_000, 'alpha-vm-1 ACTIVE');

    standIn.serve(join(FIXTURE_DIR, 'after-changes'));
    const vm5 = ports.find((p) => p.name === 'beta-vm-5') as Json;
    assert.ok(!h1.agent.desired.view.port.has(vm5.id), 'beta-vm-5 is on compute-04 before the catch-up');
    const second = await importFromNeutron({ store: stack.api, config, source: await readNeutron(standIn), sourceUrl: standIn.url });
    assert.deepEqual(second.conflicts, []);
    await waitFor(() => h1.agent.desired.view.port.has(vm5.id), 20_000, 'beta-vm-5 programmed on compute-01 after its live migration');
    const late = standIn.body<{ ports: Json[] }>('ports.json').ports.find((p) => p.name === 'alpha-late-vm') as Json;
    await waitFor(() => h2.agent.desired.view.port.has(late.id), 20_000, 'the port created in Neutron since reaches compute-02');
  } finally {
    await cleanup({ agents, controllers });
    await standIn.close();
  }
});
