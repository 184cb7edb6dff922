/**
 * PostgreSQL going away under a running controller: while it is unreachable every API request gets 503
 * ServiceUnavailable with Retry-After (never a 500) and the process keeps serving; once it is back the
 * same requests succeed, and nothing written before the outage is lost. The outage is a TCP proxy between
 * the controller and the shared server, cut and restored, so the server itself keeps running.
 */
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { fault, startTestApi } from '../../harness/api-server.js';
import { createTestSchema, postgresUnavailable } from '../../harness/postgres.js';
import { missingPrerequisite } from '../../harness/services.js';
import { TcpProxy } from '../../harness/tcp-proxy.js';
import { waitFor } from '../../harness/wait-for.js';

test('postgres - an unreachable database answers 503 with Retry-After, never 500; service resumes when it is back', async (t: TestContext) => {
  const base = process.env.ALCOR_TEST_PG_URL;
  const down = base ? await postgresUnavailable(base) : 'ALCOR_TEST_PG_URL is not set';
  if (!base || down) {
    missingPrerequisite(t, down ?? 'PostgreSQL', 'ALCOR_TEST_PG_URL');
    return;
  }
  const schema = await createTestSchema(base);
  const target = new URL(base);
  const proxy = new TcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
  await proxy.start();
  const viaProxy = new URL(schema.url);
  viaProxy.host = `127.0.0.1:${proxy.port}`;
  const api = await startTestApi({ databaseUrl: viaProxy.toString() });
  try {
    const net = await api.request('POST', '/v2.0/networks', { project: 'p1', body: { network: { name: 'before' } } });
    assert.equal(net.status, 201, JSON.stringify(net.body));

    await proxy.cut();
    for (const [method, path, body] of [
      ['GET', '/v2.0/networks', undefined],
      ['GET', `/v2.0/networks/${net.body.network.id}`, undefined],
      ['POST', '/v2.0/networks', { network: { name: 'during' } }],
      ['PUT', `/v2.0/networks/${net.body.network.id}`, { network: { name: 'renamed' } }],
    ] as const) {
      const answer = await api.request(method, path, { project: 'p1', ...(body ? { body } : {}) });
      assert.deepEqual(fault(answer), [503, 'ServiceUnavailable'], `${method} ${path}: ${JSON.stringify(answer.body)}`);
      assert.equal(answer.headers.get('retry-after'), '1', `${method} ${path} carries Retry-After`);
    }
    const ready = await fetch(`${api.url}/readyz`);
    assert.equal(ready.status, 503, '/readyz reports the database');

    await proxy.start();
    await waitFor(async () => (await api.request('GET', '/v2.0/networks', { project: 'p1' })).status === 200, 15_000, 'the API answers again');
    const after = await api.request('POST', '/v2.0/networks', { project: 'p1', body: { network: { name: 'after' } } });
    assert.equal(after.status, 201, JSON.stringify(after.body));
    const names = (await api.request('GET', '/v2.0/networks', { project: 'p1' })).body.networks.map((n: { name: string }) => n.name).sort();
    assert.deepEqual(names, ['after', 'before'], 'nothing written during the outage, nothing lost before it');
  } finally {
    await api.close();
    await proxy.cut();
    await schema.drop();
  }
});
