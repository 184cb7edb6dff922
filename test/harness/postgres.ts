/**
 * PostgreSQL for tests: every store gets its own fresh schema (`t_<random>`), so suites and test files
 * can run in parallel against the one server, and the schema is dropped when the test is done.
 */
import { randomBytes } from 'node:crypto';
import type { TestContext } from 'node:test';
import pg from 'pg';
import { missingPrerequisite } from './services.js';

/** True for URLs the PostgreSQL engine takes. */
export function isPostgresUrl(url: string | undefined): url is string {
  return url !== undefined && /^postgres(ql)?:\/\//.test(url);
}

/** A schema created for one test. */
export interface TestSchema {
  name: string;
  /** The base URL with `schema=<name>` added: give it to `openStore` / ALCOR_DATABASE_URL. */
  url: string;
  /** Drops the schema and everything in it. */
  drop: () => Promise<void>;
}

async function withClient<T>(baseUrl: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: baseUrl, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** Creates an empty schema on the server at `baseUrl`. */
export async function createTestSchema(baseUrl: string): Promise<TestSchema> {
  const name = `t_${randomBytes(6).toString('hex')}`;
  await withClient(baseUrl, (c) => c.query(`CREATE SCHEMA ${name}`));
  const url = new URL(baseUrl);
  url.searchParams.set('schema', name);
  return {
    name,
    url: url.toString(),
    drop: () => withClient(baseUrl, (c) => c.query(`DROP SCHEMA IF EXISTS ${name} CASCADE`)).then(() => undefined),
  };
}

/** Null when the server answers, else why not (for `missingPrerequisite`). */
export async function postgresUnavailable(baseUrl: string): Promise<string | null> {
  try {
    await withClient(baseUrl, (c) => c.query('SELECT 1'));
    return null;
  } catch (err) {
    return `PostgreSQL at ${baseUrl.replace(/\/\/[^@]*@/, '//***@')} is unreachable: ${(err as Error).message}`;
  }
}

/**
 * ALCOR_TEST_PG_URL when it is set and the server answers; otherwise undefined, after skipping the test
 * (or failing it under CI) with `who` named as needing it.
 */
export async function requirePostgresUrl(t: TestContext, who: string): Promise<string | undefined> {
  const url = process.env.ALCOR_TEST_PG_URL;
  if (!url) {
    missingPrerequisite(t, `${who} needs ALCOR_TEST_PG_URL=postgres://...`, 'ALCOR_TEST_PG_URL');
    return undefined;
  }
  const unavailable = await postgresUnavailable(url);
  if (unavailable) {
    missingPrerequisite(t, `PostgreSQL at ALCOR_TEST_PG_URL: ${unavailable}`, 'ALCOR_TEST_PG_URL');
    return undefined;
  }
  return url;
}
