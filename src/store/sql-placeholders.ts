/**
 * Portable `?` placeholders → PostgreSQL `$n` parameters.
 *
 * The rule every statement in this project follows (and the reason a tiny scanner suffices): a `?` is a
 * parameter unless it sits inside a single-quoted string literal, a double-quoted identifier or a `--`
 * line comment. Statements never use PostgreSQL's jsonb `?` operators and never put a bare `?` in a
 * literal they mean literally; pass such text as a parameter instead.
 */
import { createHash } from 'node:crypto';

/** Rewrites `?` placeholders as `$1, $2, ...`, leaving quoted text and comments alone. */
export function toNumberedPlaceholders(sql: string): string {
  return replacePlaceholders(sql, (n) => `$${n}`);
}

/** Replaces the `?` placeholders in order with `replacement(1)`, `replacement(2)`, ... */
export function replacePlaceholders(sql: string, replacement: (n: number) => string): string {
  let out = '';
  let n = 0;
  let i = 0;
  while (i < sql.length) {
    const c = sql[i] as string;
    if (c === "'" || c === '"') {
      // Quoted text runs to the matching quote; a doubled quote ('' or "") is an escaped one and keeps going.
      let j = i + 1;
      for (;;) {
        if (j >= sql.length) break;
        if (sql[j] === c) {
          if (sql[j + 1] === c) j += 2;
          else break;
        } else j++;
      }
      out += sql.slice(i, j + 1);
      i = j + 1;
    } else if (c === '-' && sql[i + 1] === '-') {
      const end = sql.indexOf('\n', i);
      const j = end === -1 ? sql.length : end;
      out += sql.slice(i, j);
      i = j;
    } else if (c === '?') {
      out += replacement(++n);
      i++;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

/** A portable statement ready for PostgreSQL. */
export interface TranslatedStatement {
  text: string;
  /**
   * Name for a per-connection prepared statement (parsed and planned once per connection), derived
   * from the text; undefined for statements that are not plain DML or queries (DDL, utility).
   */
  name: string | undefined;
}

const PREPARABLE = /^\s*(select|insert|update|delete)\b/i;

/** Memoises the translation: services run the same few hundred statements over and over. */
export class PlaceholderCache {
  private readonly cache = new Map<string, TranslatedStatement>();

  constructor(private readonly limit = 2000) {}

  /** The PostgreSQL form of a portable statement. */
  translate(sql: string): TranslatedStatement {
    let statement = this.cache.get(sql);
    if (statement === undefined) {
      const text = toNumberedPlaceholders(sql);
      statement = { text, name: PREPARABLE.test(text) ? `alcor_${createHash('sha1').update(text).digest('hex').slice(0, 20)}` : undefined };
      // Generated statements (IN lists of varying length) could grow the map without bound.
      if (this.cache.size >= this.limit) this.cache.clear();
      this.cache.set(sql, statement);
    }
    return statement;
  }
}
