import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PlaceholderCache, toNumberedPlaceholders } from '../../src/store/sql-placeholders.js';
import { backoffDelayMs, DEFAULT_RETRY_POLICY, isDatabaseUnavailable, isRetryableConflict, sqlState } from '../../src/store/transaction-retry.js';
import { parsePostgresUrl } from '../../src/store/postgres.js';

test('store - ? placeholders become $n outside literals, identifiers and comments', () => {
  assert.equal(toNumberedPlaceholders('SELECT * FROM t WHERE a = ? AND b IN (?, ?)'), 'SELECT * FROM t WHERE a = $1 AND b IN ($2, $3)');
  assert.equal(toNumberedPlaceholders("SELECT 'a?b', 'it''s ?', \"we?ird\" FROM t WHERE x = ?"), "SELECT 'a?b', 'it''s ?', \"we?ird\" FROM t WHERE x = $1");
  assert.equal(toNumberedPlaceholders('SELECT ? -- why?\n, ?'), 'SELECT $1 -- why?\n, $2');
  assert.equal(toNumberedPlaceholders('SELECT 1'), 'SELECT 1');
  const cache = new PlaceholderCache(2);
  for (let i = 0; i < 5; i++) assert.equal(cache.translate(`SELECT ? + ${i}`).text, `SELECT $1 + ${i}`);
  assert.match(cache.translate('SELECT ?').name ?? '', /^alcor_[0-9a-f]{20}$/);
  assert.equal(cache.translate('SELECT ?').name, cache.translate('SELECT ?').name);
  assert.notEqual(cache.translate('SELECT ?').name, cache.translate('SELECT ? + 1').name);
  assert.equal(cache.translate('CREATE TABLE x (a INTEGER)').name, undefined, 'DDL is never prepared');
});

test('store - conflicts worth retrying are recognised, also when wrapped', () => {
  assert.equal(isRetryableConflict({ code: '40001' }), true);
  assert.equal(isRetryableConflict({ code: '40P01' }), true);
  assert.equal(isRetryableConflict(new Error('mapped', { cause: { code: '23505' } })), true);
  assert.equal(isRetryableConflict({ code: '23503' }), false);
  assert.equal(isRetryableConflict(new RangeError('x')), false);
  assert.equal(sqlState({ code: 'SQLITE_BUSY' }), undefined);
});

test('store - an unavailable database is told apart from a bad request', () => {
  for (const down of [{ code: '08006' }, { code: '57P01' }, { code: '53300' }, { code: 'ECONNREFUSED' }, new Error('Connection terminated unexpectedly'), new Error('wrapped', { cause: { code: 'ECONNRESET' } })]) {
    assert.equal(isDatabaseUnavailable(down), true, JSON.stringify(down));
  }
  for (const fine of [{ code: '23505' }, { code: '22P02' }, { code: 'SQLITE_CONSTRAINT' }, new RangeError('x')]) assert.equal(isDatabaseUnavailable(fine), false, JSON.stringify(fine));
});

test('store - retry backoff is jittered and capped', () => {
  assert.equal(backoffDelayMs(DEFAULT_RETRY_POLICY, 1, () => 0.999), 1);
  assert.equal(backoffDelayMs(DEFAULT_RETRY_POLICY, 30, () => 0.999), 99);
  assert.equal(backoffDelayMs(DEFAULT_RETRY_POLICY, 5, () => 0), 0);
});

test('store - postgres URLs carry schema and pool size', () => {
  const t = parsePostgresUrl('postgres://u@h:5432/db?schema=alcor&pool_max=20&sslmode=disable');
  assert.equal(t.schema, 'alcor');
  assert.equal(t.poolMax, 20);
  assert.equal(t.connectionString, 'postgres://u@h:5432/db?sslmode=disable');
  assert.throws(() => parsePostgresUrl('postgres://h/db?schema=Bad;drop'), RangeError);
  assert.equal(parsePostgresUrl('postgres://h/db').schema, undefined);
});
