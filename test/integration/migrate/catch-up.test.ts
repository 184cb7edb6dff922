/**
 * Catch-up runs: a second run against `after-changes/` applies exactly the README's twelve changes (with
 * outbox records), a run with nothing changed writes nothing, and a dry run leaves the store untouched.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startTestApi, type TestApi } from '../../harness/api-server.js';
import { FIXTURE_QUOTA_DEFAULTS, outboxSize, runImport, runVerify, total } from './migrate-helpers.js';
import { FIXTURE_DIR, startNeutronStandIn, type NeutronStandIn } from './neutron-stand-in.js';

/** Every row of the tables the import writes, as one comparable text. */
async function snapshot(api: TestApi): Promise<string> {
  const tables = ['networks', 'subnets', 'ports', 'ip_allocations', 'port_security_groups', 'tags', 'security_groups', 'security_group_rules',
    'default_security_groups', 'routers', 'floatingips', 'quotas', 'changes', 'migrate_resources', 'migrate_rbac_policies', 'rbac_policies', 'migrate_runs'];
  return api.store.read(async (q) => {
    const out: string[] = [];
    for (const t of tables) out.push(JSON.stringify((await q.all(`SELECT * FROM ${t}`)).map((r) => JSON.stringify(r)).sort()));
    return out.join('\n');
  });
}

describe('migrate - catch-up', () => {
  let api: TestApi;
  let standIn: NeutronStandIn;

  before(async () => {
    standIn = await startNeutronStandIn();
    api = await startTestApi({ quotaDefaults: FIXTURE_QUOTA_DEFAULTS });
  });
  after(async () => {
    await api?.close();
    await standIn?.close();
  });

  test('migrate - a dry run checks everything and writes nothing', async () => {
    const before = await snapshot(api);
    const summary = await runImport(api, standIn, true);
    assert.equal(summary.dryRun, true);
    assert.deepEqual(summary.conflicts, []);
    assert.equal(summary.created.port, 41);
    assert.equal(await snapshot(api), before);
  });

  test('migrate - a second run with nothing changed changes nothing, outbox included', async () => {
    const first = await runImport(api, standIn);
    assert.deepEqual(first.conflicts, []);
    const before = await snapshot(api);
    const outbox = await outboxSize(api);
    const second = await runImport(api, standIn);
    assert.equal(total(second.created) + total(second.updated) + total(second.deleted) + total(second.adopted), 0);
    assert.equal(total(second.unchanged), 6 + 10 + 41 + 8 + 39 + 2 + 5 + 1 + 2);
    assert.equal(await outboxSize(api), outbox);
    assert.equal(await snapshot(api), before);
  });

  test('migrate - catch-up applies exactly the changes made in Neutron since the last run', async () => {
    const outboxBefore = await api.store.read((q) => q.get<{ m: number }>('SELECT MAX(revision) AS m FROM changes'));
    standIn.serve(join(FIXTURE_DIR, 'after-changes'));
    const s = await runImport(api, standIn);
    assert.deepEqual(s.conflicts, []);
    const nonZero = (c: Record<string, number>) => Object.fromEntries(Object.entries(c).filter(([, n]) => n > 0));
    assert.deepEqual(nonZero(s.created), { network: 1, subnet: 1, port: 1, security_group_rule: 1, quota: 1 });
    assert.deepEqual(nonZero(s.deleted), { port: 2, security_group: 1, security_group_rule: 4 });
    assert.deepEqual(nonZero(s.updated), { network: 2, subnet: 1, port: 2, security_group: 1, router: 1, floatingip: 2 });
    // Each change reached the outbox, so a running controller reprograms the hosts concerned.
    const changes = await api.store.read((q) =>
      q.all<{ resource_type: string; resource_id: string; operation: string }>('SELECT resource_type, resource_id, operation FROM changes WHERE revision > ?', [outboxBefore?.m ?? 0]),
    );
    const ports = standIn.body<{ ports: { id: string; name: string }[] }>('ports.json').ports;
    const vm5 = ports.find((p) => p.name === 'beta-vm-5');
    assert.ok(changes.some((c) => c.resource_type === 'port' && c.resource_id === vm5?.id && c.operation === 'update'));
    assert.equal(changes.filter((c) => c.operation === 'delete' && c.resource_type === 'port').length, 2);
    const report = await runVerify(api, standIn);
    assert.deepEqual(report.differences, []);
  });

  test('migrate - a Neutron without revision numbers and timestamps imports, verifies and reruns as a no-op', async () => {
    const bare = await startNeutronStandIn();
    const fresh = await startTestApi({ quotaDefaults: FIXTURE_QUOTA_DEFAULTS });
    try {
      for (const [file, key] of [['networks', 'networks'], ['subnets', 'subnets'], ['ports', 'ports'], ['security-groups', 'security_groups'],
        ['security-group-rules', 'security_group_rules'], ['routers', 'routers'], ['floatingips', 'floatingips']] as const) {
        const items = bare.body<Record<string, Record<string, unknown>[]>>(`${file}.json`)[key] ?? [];
        bare.override(`${file}.json`, { [key]: items.map(({ revision_number: _r, created_at: _c, updated_at: _u, ...rest }) => rest) });
      }
      assert.deepEqual((await runImport(fresh, bare)).conflicts, []);
      const rerun = await runImport(fresh, bare);
      assert.equal(total(rerun.created) + total(rerun.updated) + total(rerun.deleted), 0);
      assert.deepEqual((await runVerify(fresh, bare)).differences, []);
    } finally {
      await fresh.close();
      await bare.close();
    }
  });

  test('migrate - after catch-up, a further run is again a no-op', async () => {
    const before = await snapshot(api);
    const s = await runImport(api, standIn);
    assert.equal(total(s.created) + total(s.updated) + total(s.deleted), 0);
    assert.equal(await snapshot(api), before);
  });
});
