/**
 * `alcor migrate verify`: compares Neutron's state with what Alcor's API returns, resource by resource
 * and field by field, in the canonical form of canonical.ts (sets compared as sets, dns order kept).
 */
import type { QuotaLimits } from '../domain/quota.js';
import type { Store } from '../store/store.js';
import { readAlcorState } from './alcor-view.js';
import { diffFields, KINDS, type Kind } from './canonical.js';
import type { NeutronExport } from './neutron-types.js';
import { neutronView } from './neutron-view.js';

/** One difference. `fields` is empty when the resource is missing on one side. */
export interface VerifyDifference {
  kind: Kind;
  id: string;
  name?: string;
  problem: 'missing-in-alcor' | 'only-in-alcor' | 'different';
  fields: { field: string; neutron: unknown; alcor: unknown }[];
}

/** The result of a verification (also the `--json` output). */
export interface VerifyReport {
  source: string;
  compared: Record<Kind, number>;
  differences: VerifyDifference[];
  warnings: string[];
}

/** Compares a Neutron export with Alcor's store. */
export async function verifyAgainstNeutron(store: Store, source: NeutronExport, sourceUrl: string, alcorDefaults?: QuotaLimits): Promise<VerifyReport> {
  const view = neutronView(source, alcorDefaults);
  const alcor = await store.read((q) => readAlcorState(q));
  const report: VerifyReport = { source: sourceUrl, compared: Object.fromEntries(KINDS.map((k) => [k, 0])) as Record<Kind, number>, differences: [], warnings: view.warnings };
  for (const kind of KINDS) {
    const name = (id: string, side: 'n' | 'a') => {
      const rec = side === 'n' ? view.canonical(kind, id) : alcor[kind].get(id);
      const text = rec?.name || rec?.description;
      return typeof text === 'string' && text !== '' ? text : undefined;
    };
    for (const id of view.raw[kind].keys()) {
      report.compared[kind]++;
      const want = view.canonical(kind, id);
      const have = alcor[kind].get(id);
      if (!have) {
        report.differences.push({ kind, id, name: name(id, 'n'), problem: 'missing-in-alcor', fields: [] });
        continue;
      }
      const fields = diffFields(want, have).map(([field, neutron, alcorValue]) => ({ field, neutron, alcor: alcorValue }));
      if (fields.length > 0) report.differences.push({ kind, id, name: name(id, 'n'), problem: 'different', fields });
    }
    for (const id of alcor[kind].keys()) {
      if (!view.raw[kind].has(id)) report.differences.push({ kind, id, name: name(id, 'a'), problem: 'only-in-alcor', fields: [] });
    }
  }
  return report;
}

/** The human-readable form of a report: one block per differing resource. */
export function formatVerifyReport(report: VerifyReport): string {
  const lines: string[] = [];
  const total = Object.values(report.compared).reduce((a, b) => a + b, 0);
  for (const d of report.differences) {
    const label = `${d.kind} ${d.id}${d.name ? ` (${d.name})` : ''}`;
    if (d.problem === 'missing-in-alcor') lines.push(`- ${label}: in Neutron, missing in Alcor`);
    else if (d.problem === 'only-in-alcor') lines.push(`+ ${label}: in Alcor, not in Neutron`);
    else {
      lines.push(`~ ${label}:`);
      for (const f of d.fields) lines.push(`    ${f.field}: neutron ${JSON.stringify(f.neutron)}  alcor ${JSON.stringify(f.alcor)}`);
    }
  }
  for (const w of report.warnings) lines.push(`warning: ${w}`);
  lines.push(
    report.differences.length === 0
      ? `verify: ${total} resources compared with ${report.source}: Alcor matches Neutron`
      : `verify: ${total} resources compared with ${report.source}: ${report.differences.length} differ`,
  );
  return `${lines.join('\n')}\n`;
}
