/**
 * `alcor migrate from-neutron` against the neutron-server 21.0 fixture served by the stand-in: every
 * invariant of the fixture README, checked through Alcor's own API (and its store for routers and
 * floating IPs), plus verify's verdict.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestApi, type TestApi } from '../../harness/api-server.js';
import { FIXTURE_QUOTA_DEFAULTS, runImport, runVerify, total } from './migrate-helpers.js';
import { startNeutronStandIn, type NeutronStandIn } from './neutron-stand-in.js';
import type { ImportSummary } from '../../../src/migrate/importer.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe('migrate - import of the Neutron Zed fixture', () => {
  let api: TestApi;
  let standIn: NeutronStandIn;
  let summary: ImportSummary;
  const neutron = (file: string, key: string): Json[] => standIn.body<Json>(file)[key] as Json[];
  const byName = (items: Json[], name: string): Json => {
    const found = items.find((i) => i.name === name);
    assert.ok(found, `no ${name} in the fixture`);
    return found;
  };

  before(async () => {
    standIn = await startNeutronStandIn(undefined, { pageSize: 7 });
    api = await startTestApi({ quotaDefaults: FIXTURE_QUOTA_DEFAULTS });
    summary = await runImport(api, standIn);
  });
  after(async () => {
    await api?.close();
    await standIn?.close();
  });

  test('migrate - first run imports everything without conflicts', () => {
    assert.deepEqual(summary.conflicts, []);
    assert.equal(summary.created.network, 6);
    assert.equal(summary.created.subnet, 10);
    assert.equal(summary.created.port, 41);
    assert.equal(summary.created.security_group, 8);
    assert.equal(summary.created.security_group_rule, 39);
    assert.equal(summary.created.router, 2);
    assert.equal(summary.created.floatingip, 5);
    assert.equal(summary.created.quota, 1);
    assert.equal(summary.created.rbac_policy, 2);
  });

  test('migrate - verify finds no difference after the import', async () => {
    const report = await runVerify(api, standIn);
    assert.deepEqual(report.differences, []);
    assert.equal(total(report.compared), 6 + 10 + 41 + 8 + 39 + 2 + 5 + 1 + 2);
  });
});
