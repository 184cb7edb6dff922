/** Small DOM helpers: elements built with textContent (never HTML from data). */

type Child = Node | string | number | null | undefined;

/** `<tag attrs...>children</tag>`. */
export function el(tag: string, attrs: Record<string, string> = {}, ...children: Child[]): HTMLElement {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  for (const c of children) if (c !== null && c !== undefined) e.append(typeof c === 'number' ? String(c) : c);
  return e;
}

/** A table with `head` and one row per item; `rowAttrs` marks rows (data-* for tests and styling). */
export function table<T>(head: string[], items: T[], cells: (item: T) => Child[], rowAttrs: (item: T) => Record<string, string> = () => ({})): HTMLElement {
  return el(
    'table',
    {},
    el('thead', {}, el('tr', {}, ...head.map((h) => el('th', {}, h)))),
    el('tbody', {}, ...items.map((i) => el('tr', rowAttrs(i), ...cells(i).map((c) => el('td', {}, c))))),
  );
}

/** Replaces the content of the element with id `id`. */
export function fill(id: string, ...children: Child[]): void {
  const target = document.getElementById(id);
  if (target) target.replaceChildren(...children.filter((c): c is Node | string => c !== null && c !== undefined).map((c) => (typeof c === 'number' ? String(c) : c)));
}

/** "3 s ago" for an ISO time, or "never". */
export function ago(iso: string | null, now = Date.now()): string {
  if (!iso) return 'never';
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  return s < 120 ? `${s} s ago` : s < 7200 ? `${Math.round(s / 60)} min ago` : `${Math.round(s / 3600)} h ago`;
}

/** A latency in ms, or a dash. */
export const ms = (v: number | null): string => (v === null ? '–' : `${v} ms`);
