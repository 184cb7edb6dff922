/**
 * The topology of one project as a graph: networks (with their subnets), routers joined to the networks
 * they have interfaces or a gateway on, the project's ports on their network, and the hosts the ports
 * are bound to. Layout by cytoscape's breadthfirst layout; the graph is laid out again only when its
 * elements change, otherwise only colours (status, host health) are updated.
 */
import cytoscape from 'cytoscape';
import type { Snapshot } from './api.js';

const STYLE: cytoscape.StylesheetJson = [
  { selector: 'node', style: { label: 'data(label)', 'font-size': 10, 'text-valign': 'bottom', 'text-margin-y': 3, color: '#1f2933', 'text-wrap': 'wrap' } },
  { selector: 'node.network', style: { shape: 'round-rectangle', width: 46, height: 24, 'background-color': '#3b82f6' } },
  { selector: 'node.router', style: { shape: 'diamond', width: 28, height: 28, 'background-color': '#8b5cf6' } },
  { selector: 'node.port', style: { shape: 'ellipse', width: 12, height: 12, 'background-color': '#9ca3af', 'font-size': 8 } },
  { selector: 'node.port.ACTIVE', style: { 'background-color': '#10b981' } },
  { selector: 'node.port.ERROR', style: { 'background-color': '#ef4444' } },
  { selector: 'node.host', style: { shape: 'rectangle', width: 34, height: 22, 'background-color': '#10b981' } },
  { selector: 'node.host.lost', style: { 'background-color': '#ef4444' } },
  { selector: 'edge', style: { width: 1.5, 'line-color': '#cbd5e1', 'curve-style': 'bezier' } },
  { selector: 'edge.bound', style: { 'line-style': 'dashed' } },
];

/** The elements of `project`'s topology in `s`. */
export function topologyElements(s: Snapshot, project: string): cytoscape.ElementDefinition[] {
  const mine = <T extends { project_id: string }>(items: T[]) => items.filter((i) => i.project_id === project);
  const networks = new Map(s.networks.map((n) => [n.id, n]));
  const cidrs = new Map<string, string[]>();
  for (const sub of s.subnets) cidrs.set(sub.network_id, [...(cidrs.get(sub.network_id) ?? []), sub.cidr]);
  const out: cytoscape.ElementDefinition[] = [];
  const nodes = new Set<string>();
  const node = (id: string, label: string, classes: string) => {
    if (nodes.has(id)) return;
    nodes.add(id);
    out.push({ data: { id, label }, classes });
  };
  const networkNode = (id: string) => {
    const n = networks.get(id);
    node(`net:${id}`, `${n?.name || id.slice(0, 8)}\n${(cidrs.get(id) ?? []).join(' ')}`, 'network');
  };
  const edge = (a: string, b: string, classes = '') => out.push({ data: { id: `${a}→${b}`, source: a, target: b }, classes });

  for (const n of mine(s.networks)) networkNode(n.id);
  for (const r of mine(s.routers)) {
    node(`router:${r.id}`, r.name || r.id.slice(0, 8), 'router');
    if (r.external_gateway_info) {
      networkNode(r.external_gateway_info.network_id);
      edge(`router:${r.id}`, `net:${r.external_gateway_info.network_id}`);
    }
  }
  const hosts = new Map(s.hosts.map((h) => [h.host, h]));
  for (const p of s.ports) {
    const router = p.device_owner.startsWith('network:router_interface') && nodes.has(`router:${p.device_id}`);
    if (router) {
      networkNode(p.network_id);
      edge(`router:${p.device_id}`, `net:${p.network_id}`);
      continue;
    }
    if (p.project_id !== project || p.device_owner.startsWith('network:')) continue;
    networkNode(p.network_id);
    node(`port:${p.id}`, p.fixed_ips.map((ip) => ip.ip_address).join(' ') || p.id.slice(0, 8), `port ${p.status}`);
    edge(`net:${p.network_id}`, `port:${p.id}`);
    const host = p['binding:host_id'];
    if (host) {
      node(`host:${host}`, host, hosts.get(host)?.alive === false ? 'host lost' : 'host');
      edge(`port:${p.id}`, `host:${host}`, 'bound');
    }
  }
  return out;
}

/** A cytoscape graph in `container`, updated from snapshots. */
export class TopologyView {
  private readonly cy: cytoscape.Core;
  private shape = '';

  constructor(private readonly container: HTMLElement) {
    this.cy = cytoscape({ container, style: STYLE, wheelSensitivity: 0.3, minZoom: 0.2, maxZoom: 3 });
  }

  show(elements: cytoscape.ElementDefinition[]): void {
    const shape = elements.map((e) => e.data.id).sort().join(',');
    if (shape !== this.shape) {
      this.shape = shape;
      this.cy.elements().remove();
      this.cy.add(elements);
      this.container.dataset.nodes = String(this.cy.nodes().length);
      this.cy.layout({ name: 'breadthfirst', directed: true, spacingFactor: 1.1, padding: 20, roots: this.cy.nodes().roots().map((n) => n.id()) }).run();
      return;
    }
    for (const e of elements) if (e.classes !== undefined && e.data.id !== undefined) this.cy.getElementById(e.data.id).classes(e.classes);
  }
}
