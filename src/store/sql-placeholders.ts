/**
 * Portable `?` placeholders → PostgreSQL `$n` parameters.
 *
 * The rule every statement in this project follows (and the reason a tiny scanner suffices): a `?` is a
 * parameter unless it sits inside a single-quoted string literal, a double-quoted identifier or a `--`
 * line comment. Statements never use PostgreSQL's jsonb `?` operators and never put a bare `?` in a
 * literal they mean literally; pass such text as a parameter instead.
 */

/** Rewrites `?` placeholders as `$1, $2, ...`, leaving quoted text and comments alone. */
export function toNumberedPlaceholders(sql: string): string {
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
      out += `$${++n}`;
      i++;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

/** Memoises `toNumberedPlaceholders`: services run the same few hundred statements over and over. */
export class PlaceholderCache {
  private readonly cache = new Map<string, string>();

  constructor(private readonly limit = 2000) {}

  /** The PostgreSQL text of a portable statement. */
  translate(sql: string): string {
    let text = this.cache.get(sql);
    if (text === undefined) {
      text = toNumberedPlaceholders(sql);
      // Generated statements (IN lists of varying length) could grow the map without bound.
      if (this.cache.size >= this.limit) this.cache.clear();
      this.cache.set(sql, text);
    }
    return text;
  }
}
