/**
 * The engines the store contract runs against: SQLite (always) and PostgreSQL (ALCOR_TEST_PG_URL;
 * loud skip when unset locally, failure when set but unreachable or under CI).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { openStore } from '../../../src/store/open-store.js';
import type { Store } from '../../../src/store/store.js';
import { createTestSchema, postgresUnavailable } from '../../harness/postgres.js';
import { missingPrerequisite } from '../../harness/services.js';

/** A place to open stores in: a fresh file or schema, removed by `cleanup`. */
export interface StoreSite {
  /** Opens (and migrates) a store on this site; several may be open at once, like replicas. */
  open: () => Promise<Store>;
  cleanup: () => Promise<void>;
}

/** One engine under test. */
export interface EngineUnderTest {
  name: 'sqlite' | 'postgres';
  /** A fresh site, or false when the engine is unavailable (after skipping or failing `t`). */
  site: (t: TestContext) => Promise<StoreSite | false>;
}

export const SQLITE: EngineUnderTest = {
  name: 'sqlite',
  site: async () => {
    const dir = mkdtempSync(join(tmpdir(), 'alcor-store-'));
    return {
      open: () => openStore({ engine: 'sqlite', path: join(dir, 'alcor.db') }),
      cleanup: async () => rmSync(dir, { recursive: true, force: true }),
    };
  },
};

export const POSTGRES: EngineUnderTest = {
  name: 'postgres',
  site: async (t) => {
    const base = process.env.ALCOR_TEST_PG_URL;
    if (!base) return missingPrerequisite(t, 'PostgreSQL store tests need ALCOR_TEST_PG_URL=postgres://...', 'ALCOR_TEST_PG_URL');
    const down = await postgresUnavailable(base);
    if (down) return missingPrerequisite(t, down, 'ALCOR_TEST_PG_URL');
    const schema = await createTestSchema(base);
    return { open: () => openStore({ engine: 'postgres', url: schema.url }), cleanup: schema.drop };
  },
};

/** Runs `body` with a fresh site and as many stores as asked, closing and cleaning up even on failure. */
export async function withStores(
  engine: EngineUnderTest,
  t: TestContext,
  count: number,
  body: (stores: Store[], site: StoreSite) => Promise<void>,
): Promise<void> {
  const site = await engine.site(t);
  if (!site) return;
  const stores: Store[] = [];
  try {
    for (let i = 0; i < count; i++) stores.push(await site.open());
    await body(stores, site);
  } finally {
    for (const store of stores) await store.close();
    await site.cleanup();
  }
}
