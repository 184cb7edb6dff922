import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { runApiBench } from '../../../src/bench/api-bench.js';
import { formatApiBenchReport } from '../../../src/bench/api-bench-report.js';
import { startTestApi, type TestApi } from '../../harness/api-server.js';

describe('bench api', () => {
  let api: TestApi;
  before(async () => {
    api = await startTestApi();
  });
  after(() => api.close());

  test('bench - alcor bench api runs every phase over HTTP at a tiny scale and cleans up', async () => {
    const result = await runApiBench({ url: api.url, scale: 0.001, samples: 20, latencySamples: 5, listSamples: 5, bulkSize: 40, concurrency: 4, serverPid: process.pid });
    assert.deepEqual(result.single.map((s) => [s.concurrency, s.count]), [[1, 20], [4, 50], [1, 20], [4, 50], [1, 20], [4, 50]]);
    assert.equal(result.bulk.size, 40);
    assert.ok(result.bulk.ms > 0);
    assert.ok(result.list.count >= 20);
    assert.ok(result.list.stored >= 100);
    assert.ok((result.memory.rssMb ?? 0) > 0, 'RSS read from /proc');
    assert.equal(result.targets.length, 6);
    assert.match(formatApiBenchReport(result), /single port create/);
    const networks = await api.request('GET', '/v2.0/networks');
    assert.deepEqual(networks.body.networks, [], 'the benchmark network was deleted');
    const ports = await api.request('GET', '/v2.0/ports?limit=1');
    assert.deepEqual(ports.body.ports, [], 'its ports went with it');
  });

  test('bench - explicit levels are reached with the caller\'s fill, which continues the port names', async () => {
    const calls: [string, number, number][] = [];
    const result = await runApiBench({
      url: api.url,
      levels: [0, 300],
      samples: 20,
      latencySamples: 5,
      listSamples: 5,
      bulkSize: 10,
      concurrency: 4,
      networkSamples: 3,
      // Stands in for neutron-server's SQL top-up: stores the ports by another way than the measured calls.
      fill: async (networkId, firstIndex, count) => {
        calls.push([networkId, firstIndex, count]);
        const ports = Array.from({ length: count }, (_, i) => ({ network_id: networkId, name: `bench-${firstIndex + i}` }));
        const res = await api.request('POST', '/v2.0/ports', { body: { ports } });
        assert.equal(res.status, 201);
      },
    });
    assert.equal(calls.length, 1);
    const [, firstIndex, count] = calls[0] ?? [];
    assert.equal(firstIndex, 50 + 20 + 50 + 10, 'after the warm-up, both single phases and the bulk (at least 50 and 20 samples)');
    assert.equal(count, 300 - 130);
    assert.equal(result.fill.method, 'external');
    assert.deepEqual(result.single.map((s) => s.storedBefore), [50, 70, 300, 320]);
    assert.equal(result.networks.network.count, 3);
    assert.equal(result.networks.subnet.count, 3);
  });
});
