/** The testbed's own lifecycle: CLI up/down, and cleanup of runs left behind by a killed process. */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { processAlive } from '../../src/testbed/exec.js';
import { cleanupStale, Testbed } from '../../src/testbed/testbed.js';
import { requireE2e } from './support/prerequisites.js';

const CLI = fileURLToPath(new URL('../../src/cli/alcor.js', import.meta.url));

function namespaces(prefix: string): string[] {
  return execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' }).split('\n').map((l) => l.split(' ')[0] ?? '').filter((n) => n.startsWith(prefix));
}

test('testbed - alcor testbed up creates hosts with running OVS, down removes everything', async (t) => {
  if (!requireE2e(t)) return;
  const up = JSON.parse(execFileSync(process.execPath, [CLI, 'testbed', 'up', '--hosts', '2', '--json'], { encoding: 'utf8' })) as {
    prefix: string;
    hosts: Array<{ name: string; netns: string; underlayIp: string }>;
  };
  try {
    assert.equal(up.hosts.length, 2);
    assert.deepEqual(namespaces(up.prefix).sort(), [`${up.prefix}-h1`, `${up.prefix}-h2`, `${up.prefix}-ul`]);
    const tb = Testbed.open(up.prefix);
    assert.match((await tb.host('h1').vsctl(['list-br'])).stdout, /br-int\nbr-phy/);
    // The hosts reach each other over the underlay.
    const ping = await tb.host('h1').exec('ping', ['-c', '1', '-W', '2', up.hosts[1]!.underlayIp]);
    assert.equal(ping.code, 0);
  } finally {
    execFileSync(process.execPath, [CLI, 'testbed', 'down', up.prefix], { encoding: 'utf8' });
  }
  assert.deepEqual(namespaces(up.prefix), []);
});

test('testbed - a run whose owner process died is removed by the next cleanup', async (t) => {
  if (!requireE2e(t)) return;
  const dead = spawnSync('true').pid!;
  const tb = await Testbed.create({ hosts: 1, ownerPid: dead });
  const vswitchd = tb.host('h1').daemonPids();
  assert.equal(vswitchd.length, 2, 'ovsdb-server and ovs-vswitchd running');
  const removed = await cleanupStale();
  assert.ok(removed.includes(tb.prefix));
  assert.deepEqual(namespaces(tb.prefix), []);
  assert.equal(existsSync(tb.stateDir), false);
  assert.ok(vswitchd.every((pid) => !processAlive(pid)), 'daemons of the stale run were stopped');
});
