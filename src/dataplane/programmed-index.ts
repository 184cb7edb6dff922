/**
 * What the data-plane manager has programmed where, as the change planner (change-plan.ts) needs it:
 * the hosts holding each host-scope entry (vpc/subnet/router/securityGroup), the host of each programmed
 * port, the group of each compiled rule and the router of each router port. It is kept from compiled
 * scopes rather than read from the tables, so a change to a row that is gone still reaches the hosts
 * that had it.
 */
import type { PlanIndexes } from './change-plan.js';
import { entryKey, type CompiledHost } from './compile-helpers.js';

const VPC_KEY = entryKey('vpc', '');

export class ProgrammedIndex implements PlanIndexes {
  /** Host-scope entry key → hosts holding it. */
  readonly keyHosts = new Map<string, Set<string>>();
  readonly portHost = new Map<string, string>();
  readonly preparedHosts = new Map<string, Set<string>>();
  readonly ruleGroup = new Map<string, string>();
  readonly routerOfPort = new Map<string, string>();
  /** What each host was last recorded with: to take it back out on the next record, and its VpcStates. */
  private readonly byHost = new Map<string, { keys: readonly string[]; ports: ReadonlySet<string>; prepared: ReadonlySet<string>; vpcStates: ReadonlySet<string> }>();

  /** Replaces what `host` holds with its newly compiled scope. */
  record(host: string, compiled: CompiledHost): void {
    const old = this.byHost.get(host);
    for (const key of old?.keys ?? []) this.keyHosts.get(key)?.delete(host);
    for (const port of old?.ports ?? []) if (this.portHost.get(port) === host) this.portHost.delete(port);
    for (const port of old?.prepared ?? []) {
      const hosts = this.preparedHosts.get(port);
      hosts?.delete(host);
      if (hosts?.size === 0) this.preparedHosts.delete(port);
    }
    for (const port of compiled.preparedPorts) {
      let hosts = this.preparedHosts.get(port);
      if (!hosts) this.preparedHosts.set(port, (hosts = new Set()));
      hosts.add(host);
    }
    // Ports and DHCP entries are found through portHost; the rest through the hosts holding the key.
    const keys = [...compiled.entries.keys()].filter((k) => !k.startsWith('port/') && !k.startsWith('dhcp/'));
    for (const key of keys) {
      let hosts = this.keyHosts.get(key);
      if (!hosts) this.keyHosts.set(key, (hosts = new Set()));
      hosts.add(host);
    }
    for (const port of compiled.ports) this.portHost.set(port, host);
    for (const [rule, group] of compiled.rules) this.ruleGroup.set(rule, group);
    for (const [port, router] of compiled.routerPorts) this.routerOfPort.set(port, router);
    const vpcStates = new Set(keys.filter((k) => k.startsWith(VPC_KEY)).map((k) => k.slice(VPC_KEY.length)));
    this.byHost.set(host, { keys, ports: compiled.ports, prepared: compiled.preparedPorts, vpcStates });
  }

  /** Whether `host` holds the VpcState of `vpc` (the VPC of one of its ports, not one reached through a router). */
  holdsVpcState(host: string, vpc: string): boolean {
    return this.byHost.get(host)?.vpcStates.has(vpc) ?? false;
  }

  /** Hosts holding a host-scope entry. */
  hostsHolding(key: string): ReadonlySet<string> {
    return this.keyHosts.get(key) ?? new Set();
  }
}
