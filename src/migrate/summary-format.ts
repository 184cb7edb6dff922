/** The human-readable summary of an import run. */
import { KINDS } from './canonical.js';
import type { ImportSummary } from './importer.js';

/** A table of counts per kind, then conflicts and warnings. */
export function formatImportSummary(s: ImportSummary): string {
  const lines = [`${s.dryRun ? 'dry run (nothing written): ' : ''}import from ${s.source} in ${(s.durationMs / 1000).toFixed(2)} s`];
  lines.push(`${'resource'.padEnd(20)}${['created', 'updated', 'deleted', 'adopted', 'unchanged'].map((h) => h.padStart(10)).join('')}`);
  for (const kind of KINDS) {
    const row = [s.created[kind], s.updated[kind], s.deleted[kind], s.adopted[kind], s.unchanged[kind]];
    if (row.every((n) => n === 0)) continue;
    lines.push(`${kind.padEnd(20)}${row.map((n) => String(n).padStart(10)).join('')}`);
  }
  if (s.conflicts.length > 0) {
    lines.push(`${s.conflicts.length} conflict(s); these resources were not imported (fix and run again):`);
    for (const c of s.conflicts) lines.push(`  ${c.kind} ${c.id}${c.name ? ` (${c.name})` : ''} [${c.reason}]: ${c.message}`);
  }
  for (const w of s.warnings) lines.push(`warning: ${w}`);
  return `${lines.join('\n')}\n`;
}
