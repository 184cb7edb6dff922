/**
 * The metadata link: an OVS port on the bridge whose kernel side holds the proxy's address. By default
 * the agent creates an internal port (its kernel interface has the port's name, in the namespace of
 * ovs-vswitchd, where the agent runs). Where the agent runs in another namespace than OVS (the
 * namespace testbed), the operator wires a veth pair instead, adds one end to the bridge as the
 * metadata port and names the other end as the metadata interface; the agent then only uses them.
 */
import { readFile } from 'node:fs/promises';
import { metadataProxyIp, type MetadataFacts } from './compile-metadata.js';
import { runTool, type OvsCli } from './ovs-cli.js';

/** What the link needs. */
export interface MetadataLinkSettings {
  bridge: string;
  port: string;
  interface: string;
  cidr: string;
  rundir: string;
}

/** Ensures the port and the interface's address; returns the facts flows need. */
export async function ensureMetadataLink(cli: OvsCli, s: MetadataLinkSettings): Promise<MetadataFacts> {
  const existing = (await cli.vsctl(['--if-exists', 'get', 'Interface', s.port, 'ofport'])).trim();
  if (existing === '') {
    await cli.vsctl(['--', '--may-exist', 'add-port', s.bridge, s.port, '--', 'set', 'Interface', s.port, 'type=internal']);
  }
  let ofport = 0;
  for (let attempt = 0; attempt < 50 && ofport <= 0; attempt++) {
    // An internal port gets its OpenFlow port number a moment after it is added.
    ofport = Number((await cli.vsctl(['get', 'Interface', s.port, 'ofport'])).trim());
    if (ofport <= 0) await new Promise((r) => setTimeout(r, 100));
  }
  if (!Number.isInteger(ofport) || ofport <= 0) throw new Error(`metadata port ${s.port} has no OpenFlow port`);
  const prefix = s.cidr.split('/')[1];
  await runTool('ip', ['addr', 'replace', `${metadataProxyIp(s.cidr)}/${prefix}`, 'dev', s.interface], s.rundir);
  await runTool('ip', ['link', 'set', s.interface, 'up'], s.rundir);
  const interfaceMac = (await readFile(`/sys/class/net/${s.interface}/address`, 'utf8')).trim().toLowerCase();
  return { ofport, cidr: s.cidr, interfaceMac };
}
