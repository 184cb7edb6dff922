/**
 * OVS drivers running in this process, one per testbed host, driven by a hand-built network: the e2e
 * suites that test the driver without a controller share this.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import type { DriverContext, ResourceKind } from '../../../src/agent/driver.js';
import { OvsDriver } from '../../../src/agent/drivers/ovs/ovs-driver.js';
import { cleanupStale, Testbed } from '../../../src/testbed/testbed.js';
import type { HandBuiltNetwork } from './goal-state.js';

/** The drivers of a testbed's hosts and what they logged. */
export class OvsDrivers {
  readonly drivers = new Map<string, OvsDriver>();
  readonly logs: string[] = [];

  constructor(
    private readonly testbed: Testbed,
    private readonly net: HandBuiltNetwork,
  ) {}

  /** A new (not started) driver for a host. */
  create(hostName: string): OvsDriver {
    const host = this.testbed.host(hostName);
    const context: DriverContext = {
      hostId: host.name,
      datapathIp: host.underlayIp,
      stateDir: host.rundir,
      options: { rundir: host.rundir, 'datapath-type': 'netdev' },
      log: (level, message, fields) => this.logs.push(`${hostName} ${level} ${message} ${JSON.stringify(fields ?? {})}`),
    };
    return new OvsDriver(context);
  }

  /** Starts a driver on each host. */
  async start(hostNames: string[]): Promise<void> {
    for (const name of hostNames) {
      const driver = this.create(name);
      await driver.start();
      this.drivers.set(name, driver);
    }
  }

  /** The running driver of a host. */
  get(hostName: string): OvsDriver {
    const driver = this.drivers.get(hostName);
    assert.ok(driver, `no driver on ${hostName}`);
    return driver;
  }

  /** A full apply on every host; every outcome must be ok. */
  async applyAll(): Promise<void> {
    for (const [hostId, driver] of this.drivers) {
      const outcomes = await driver.apply(this.net.fullRequest(hostId));
      assert.ok(outcomes.every((o) => o.ok), JSON.stringify(outcomes));
    }
  }

  /** A delta apply naming the changed resources on every host; every outcome must be ok. */
  async applyDelta(changed: Array<[ResourceKind, string]>): Promise<void> {
    for (const [hostId, driver] of this.drivers) {
      const outcomes = await driver.apply(this.net.deltaRequest(hostId, changed));
      assert.ok(outcomes.every((o) => o.ok), JSON.stringify(outcomes));
    }
  }

  /** Closes every driver; prints the last log lines when the run failed. */
  async close(): Promise<void> {
    for (const driver of this.drivers.values()) await driver.close();
    if (process.exitCode) process.stderr.write(this.logs.slice(-40).join('\n') + '\n');
  }

  /**
   * Pauses (SIGSTOP) the `ovsdb-client monitor` a host's driver started, so its interface watcher stops
   * learning of new interfaces; returns the function that resumes it.
   */
  pauseInterfaceWatcher(hostName: string): () => void {
    const db = this.testbed.host(hostName).dbSocket;
    const pids = readdirSync('/proc').filter((p) => /^\d+$/.test(p)).map(Number).filter((pid) => {
      try {
        const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
        const parent = Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ')[1]);
        return parent === process.pid && argv[0] === 'ovsdb-client' && argv[1] === 'monitor' && argv[2] === db;
      } catch {
        return false;
      }
    });
    assert.equal(pids.length, 1, `one interface monitor of ${hostName}'s driver: ${pids.join(',')}`);
    const pid = pids[0]!;
    process.kill(pid, 'SIGSTOP');
    return () => process.kill(pid, 'SIGCONT');
  }
}

/** A fresh testbed of two hosts (stale runs removed first) with a started OVS driver on each for `net`. */
export async function startHandBuiltTestbed(net: HandBuiltNetwork): Promise<{ testbed: Testbed; hosts: OvsDrivers }> {
  await cleanupStale();
  const testbed = await Testbed.create({ hosts: 2 });
  const hosts = new OvsDrivers(testbed, net);
  await hosts.start(['h1', 'h2']);
  return { testbed, hosts };
}

/** Stops the drivers and removes the testbed; either may be missing when the set-up failed or did not run. */
export async function stopHandBuiltTestbed(testbed: Testbed | undefined, hosts: OvsDrivers | undefined): Promise<void> {
  await hosts?.close();
  if (testbed) await testbed.destroy();
}
