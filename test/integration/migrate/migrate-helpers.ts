/** Shared steps of the migration suites: read the stand-in through the real client, import, verify. */
import { importFromNeutron, type ImportSummary } from '../../../src/migrate/importer.js';
import { NeutronClient } from '../../../src/migrate/neutron-client.js';
import type { NeutronExport } from '../../../src/migrate/neutron-types.js';
import { verifyAgainstNeutron, type VerifyReport } from '../../../src/migrate/verify.js';
import type { TestApi } from '../../harness/api-server.js';
import type { NeutronStandIn } from './neutron-stand-in.js';

/** Quota defaults of the fixture's deployment, so Alcor's defaults match Neutron's. */
export const FIXTURE_QUOTA_DEFAULTS = 'network=1000,subnet=1000,port=100000,router=1000,floatingip=50,security_group=1000,security_group_rule=10000';

/** Reads the stand-in's whole state through the migration's Neutron client. */
export async function readNeutron(standIn: NeutronStandIn): Promise<NeutronExport> {
  return (await NeutronClient.connect({ url: standIn.url, auth: { kind: 'none' } })).readAll();
}

/** Runs one import of the stand-in's state into the test controller's store. */
export async function runImport(api: TestApi, standIn: NeutronStandIn, dryRun = false): Promise<ImportSummary> {
  return importFromNeutron({ store: api.store, config: api.config, source: await readNeutron(standIn), sourceUrl: standIn.url, dryRun });
}

/** Verifies the test controller's store against the stand-in. */
export async function runVerify(api: TestApi, standIn: NeutronStandIn): Promise<VerifyReport> {
  return verifyAgainstNeutron(api.store, await readNeutron(standIn), standIn.url, api.config.quotaDefaults);
}

/** Sum of one counter over every kind. */
export function total(counts: Record<string, number>): number {
  return Object.values(counts).reduce((a, b) => a + b, 0);
}

/** Number of outbox records. */
export async function outboxSize(api: TestApi): Promise<number> {
  const row = await api.store.read((q) => q.get<{ n: number | string }>('SELECT COUNT(*) AS n FROM changes'));
  return Number(row?.n ?? 0);
}
