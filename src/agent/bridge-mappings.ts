/**
 * Neutron-style bridge mappings (`--bridge-mapping physnet1:br-ex`): which OVS bridge carries the frames
 * of each physical network on this host. Reported to the controller in the Hello as `physnet:bridge`.
 */

/** Parses `physnet:bridge` items; throws on a malformed item or a physnet or bridge given twice. */
export function parseBridgeMappings(items: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  const bridges = new Set<string>();
  for (const item of items) {
    const m = /^([\w.-]{1,64}):([\w.-]{1,15})$/.exec(item);
    if (!m) throw new TypeError(`bridge mapping "${item}" is not physnet:bridge`);
    const [, physnet, bridge] = m as unknown as [string, string, string];
    if (out.has(physnet)) throw new TypeError(`physical network ${physnet} is mapped twice`);
    if (bridges.has(bridge)) throw new TypeError(`bridge ${bridge} is mapped twice`);
    out.set(physnet, bridge);
    bridges.add(bridge);
  }
  return out;
}

/** The Hello form of mappings: `physnet:bridge` each. */
export function formatBridgeMappings(mappings: ReadonlyMap<string, string>): string[] {
  return [...mappings].map(([physnet, bridge]) => `${physnet}:${bridge}`);
}
