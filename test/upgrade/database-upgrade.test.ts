// API responses are arbitrary JSON.
/* eslint-disable @typescript-eslint/no-explicit-any */
/**
 * Upgrading in place: an earlier release (built from git, see previous-build.ts) writes a realistic
 * deployment through its API; the current build starts on the same database and must serve every
 * resource with every field as it was, allocate without colliding with what exists, and program hosts
 * through an agent of the earlier release (and an agent of this build must work with the earlier
 * controller). On PostgreSQL the earlier and the current build also run side by side as replicas while
 * a port-create workload runs, and the earlier replica is swapped out, with no failed request.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, test, type TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createTestSchema, postgresUnavailable } from '../harness/postgres.js';
import { startServerProcess, type ServerProcess } from '../harness/server-process.js';
import { missingPrerequisite } from '../harness/services.js';
import { waitFor } from '../harness/wait-for.js';
import { ALCOR_VERSION } from '../../src/version.js';
import { buildRelease, releasesToUpgradeFrom, type BuiltRelease } from './previous-build.js';
import { allocateMore, apiAt, collisions, differences, loadNetwork, readDeployment, writeDeployment, type Api } from './workload.js';

const CURRENT_AGENT = fileURLToPath(new URL('../../src/cli/alcor-agent.js', import.meta.url));

/** A controller of some build on a database, listening on ephemeral API and southbound ports. */
function startController(database: string, script?: string): Promise<ServerProcess> {
  return startServerProcess({ ALCOR_DATABASE_URL: database, ALCOR_SOUTHBOUND_LISTEN: '127.0.0.1:0' }, 60_000, script);
}

/** Runs an agent of some build (sim driver) against `southbound` until `stop`. */
function startAgent(script: string, hostId: string, southbound: string, stateDir: string): { child: ChildProcess; stop: () => Promise<void> } {
  const child = spawn(process.execPath, [script, '--host-id', hostId, '--datapath-ip', '192.0.2.77', '--controller', southbound, '--driver', 'sim', '--state-dir', stateDir, '--heartbeat-ms', '500'], {
    stdio: 'ignore',
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    child,
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** An agent of `script` on `hostId` registers with the controller and programs a new port bound to it (ACTIVE). */
async function agentProgramsPort(api: Api, server: ServerProcess, script: string, hostId: string, expectVersion: string, networkId: string): Promise<void> {
  assert.ok(server.southbound, 'the controller logged its southbound port');
  const stateDir = mkdtempSync(join(tmpdir(), 'alcor-upgrade-agent-'));
  const agent = startAgent(script, hostId, server.southbound, stateDir);
  try {
    const registered = await waitFor(async () => {
      const agents = (await api('GET', '/v2.0/agents')).body.agents as any[];
      return agents.find((a) => a.host === hostId && a.alive);
    }, 20_000, `agent ${hostId} registered`);
    assert.equal(registered.configurations.agent_version, expectVersion, 'the agents list shows the version the agent reported');
    const port = (await api('POST', '/v2.0/ports', { body: { port: { network_id: networkId, 'binding:host_id': hostId, device_owner: 'compute:nova', device_id: `vm-on-${hostId}` } } })).body.port;
    assert.ok(port?.id, 'port created');
    await waitFor(async () => (await api('GET', `/v2.0/ports/${port.id}`)).body.port.status === 'ACTIVE', 20_000, `port on ${hostId} ACTIVE`);
  } finally {
    await agent.stop();
    rmSync(stateDir, { recursive: true, force: true });
  }
}

function webNetwork(view: Awaited<ReturnType<typeof readDeployment>>): string {
  const net = [...(view.networks?.values() ?? [])].find((n) => n.name === 'web-0');
  assert.ok(net, 'the workload wrote network web-0');
  return String(net.id);
}

for (const release of releasesToUpgradeFrom()) {
  describe(`upgrade from ${release.version} (${release.commit.slice(0, 7)}) to ${ALCOR_VERSION}`, () => {
    let built: BuiltRelease;
    // Built once per commit and cached under .tmp/releases (about half a minute the first time).
    before(() => {
      built = buildRelease(release);
    }, { timeout: 600_000 });

    test(`upgrade - ${release.version} -> ${ALCOR_VERSION} on SQLite: every resource and field kept, no allocation collides, agents of either version program ports`, { timeout: 180_000 }, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'alcor-upgrade-'));
      const database = `sqlite:${join(dir, 'alcor.db')}`;
      try {
        const old = await startController(database, built.server);
        const oldApi = apiAt(old.url);
        let before;
        let extId;
        try {
          extId = await writeDeployment(oldApi);
          before = await readDeployment(oldApi);
          // An agent of this build works with the earlier controller.
          await agentProgramsPort(oldApi, old, CURRENT_AGENT, 'host-new-agent', ALCOR_VERSION, webNetwork(before));
          before = await readDeployment(oldApi);
        } finally {
          await old.stop();
        }
        const current = await startController(database);
        const api = apiAt(current.url);
        try {
          assert.deepEqual(differences(before, await readDeployment(api)), []);
          await allocateMore(api, extId, before);
          const after = await readDeployment(api);
          assert.deepEqual(differences(before, after, true), [], 'creating more changed nothing that existed');
          assert.deepEqual(collisions(after), []);
          // An agent of the earlier release works with this controller.
          await agentProgramsPort(api, current, built.agent, 'host-old-agent', release.version, webNetwork(before));
        } finally {
          await current.stop();
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    test(`upgrade - ${release.version} -> ${ALCOR_VERSION} on PostgreSQL: resources kept, and replicas of both versions serve a port-create workload through a rolling swap without a failed request, and an earlier agent programs every port`, { timeout: 180_000 }, async (t: TestContext) => {
      const base = process.env.ALCOR_TEST_PG_URL;
      if (!base) {
        missingPrerequisite(t, 'the PostgreSQL upgrade test needs ALCOR_TEST_PG_URL=postgres://...', 'ALCOR_TEST_PG_URL');
        return;
      }
      const down = await postgresUnavailable(base);
      if (down) {
        missingPrerequisite(t, down, 'ALCOR_TEST_PG_URL');
        return;
      }
      const schema = await createTestSchema(base);
      const replicas: ServerProcess[] = [];
      let stopAgent: () => Promise<void> = async () => {};
      try {
        const old = await startController(schema.url, built.server);
        replicas.push(old);
        const extId = await writeDeployment(apiAt(old.url));
        const before = await readDeployment(apiAt(old.url));
        // Database and first new replica: it migrates while the old replica keeps serving.
        const first = await startController(schema.url);
        replicas.push(first);
        assert.deepEqual(differences(before, await readDeployment(apiAt(first.url))), []);

        // An agent of the earlier release hosts the workload's ports, connected to the new replica that
        // stays through the roll: what either version's replica commits must reach it.
        assert.ok(first.southbound, 'the new replica logged its southbound port');
        const agentDir = mkdtempSync(join(tmpdir(), 'alcor-upgrade-agent-'));
        const agent = startAgent(built.agent, 'roll-host', first.southbound, agentDir);
        stopAgent = async () => {
          await agent.stop();
          rmSync(agentDir, { recursive: true, force: true });
        };

        // A load balancer's rotation: requests go round-robin to the replicas in it.
        const rotation = [old, first];
        let turn = 0;
        let running = true;
        const failures: string[] = [];
        const created: string[] = [];
        const network = await loadNetwork(apiAt(old.url), 'upgrade-load');
        const worker = async () => {
          while (running) {
            const replica = rotation[turn++ % rotation.length];
            if (!replica) continue;
            const port = { project_id: 'upgrade-load', network_id: network, 'binding:host_id': 'roll-host', device_owner: 'compute:nova', device_id: `vm-${turn}` };
            const answer = await apiAt(replica.url)('POST', '/v2.0/ports', { body: { port } }).catch((err: Error) => ({ status: 0, body: err.message }));
            if (answer.status === 201) created.push(answer.body.port.id);
            else failures.push(`${answer.status} ${JSON.stringify(answer.body)}`);
          }
        };
        const workers = [worker(), worker()];
        const createdAtLeast = (n: number) => () => {
          if (failures.length > 0) throw new Error(`requests failed during the roll: ${failures.join('; ')}`);
          return created.length >= n;
        };
        await waitFor(createdAtLeast(15), 30_000, 'ports created on both versions');
        // Swap the old replica: out of rotation first (its readiness fails while draining), then stopped.
        rotation.splice(rotation.indexOf(old), 1);
        await old.stop();
        const second = await startController(schema.url);
        replicas.push(second);
        rotation.push(second);
        const swappedAt = created.length;
        await waitFor(createdAtLeast(swappedAt + 15), 30_000, 'ports created after the swap');
        running = false;
        await Promise.all(workers);
        assert.deepEqual(failures, [], 'no request failed during the roll');

        const after = await readDeployment(apiAt(second.url));
        assert.deepEqual(differences(before, after, true), []);
        for (const id of created) assert.ok(after.ports?.has(id), `port ${id} acknowledged during the roll is there`);
        let down = created.length;
        await waitFor(async () => {
          const ports = (await apiAt(second.url)('GET', '/v2.0/ports?binding:host_id=roll-host&fields=id&fields=status')).body.ports as { id: string; status: string }[];
          down = created.length - ports.filter((p) => p.status === 'ACTIVE').length;
          return down === 0;
        }, 30_000, 'every port created during the roll ACTIVE on the agent').catch((err: Error) => {
          throw new Error(`${err.message}: ${down} of ${created.length} are not`);
        });
        await allocateMore(apiAt(second.url), extId, before);
        assert.deepEqual(collisions(await readDeployment(apiAt(second.url))), []);
      } finally {
        await stopAgent();
        for (const replica of replicas) if (replica.child.exitCode === null) await replica.stop();
        await schema.drop();
      }
    });
  });
}
