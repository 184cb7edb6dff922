#!/usr/bin/env node
// Summarises a V8 .cpuprofile (from `node --cpu-prof`): self time by function and by file, and inclusive
// time of our own functions. Usage: node scripts/cpuprofile-summary.js <file.cpuprofile> [top=25] [from-s] [to-s]
// (from-s/to-s: only samples in that window, in seconds since the profile started).
import { readFileSync } from 'node:fs';

const [file, topText, fromText, toText] = process.argv.slice(2);
if (!file) {
  process.stderr.write('usage: cpuprofile-summary.js <file.cpuprofile> [top]\n');
  process.exit(2);
}
const top = Number(topText ?? 25);
const profile = JSON.parse(readFileSync(file, 'utf8'));
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const self = new Map();
const deltas = profile.timeDeltas;
const fromUs = Number(fromText ?? 0) * 1e6;
const toUs = toText === undefined ? Infinity : Number(toText) * 1e6;
let clock = 0;
profile.samples.forEach((id, i) => {
  clock += deltas[i] ?? 0;
  if (clock >= fromUs && clock <= toUs) self.set(id, (self.get(id) ?? 0) + (deltas[i] ?? 0));
});
const total = [...self.values()].reduce((a, b) => a + b, 0);

const add = (map, key, v) => map.set(key, (map.get(key) ?? 0) + v);
const short = (url) => url.replace(/^file:\/\//, '').replace(/^.*\/node_modules\//, 'npm:').replace(/^.*\/dist\//, '');
const label = (n) => `${n.callFrame.functionName || '(anonymous)'} ${short(n.callFrame.url)}:${n.callFrame.lineNumber + 1}`;

/** A coarse area of a frame, for the first table. */
function area(n) {
  const url = n.callFrame.url;
  const fn = n.callFrame.functionName;
  if (fn === '(garbage collector)') return 'garbage collection';
  if (fn === '(idle)' || fn === '(program)') return `(${fn.replace(/[()]/g, '')})`;
  if (/better-sqlite3|\/src\/store\//.test(url)) return 'SQLite (statements, BEGIN/COMMIT)';
  const m = /\/src\/([a-z-]+)\//.exec(url);
  if (m && /\/dist[^/]*\/src\//.test(url)) return `src/${m[1]}`;
  if (/modules\/(cjs|esm)|bootstrap|package_json_reader|compileSourceTextModule|wrapSafe/.test(url + fn)) return 'module loading (start-up)';
  if (/node_modules\/(fastify|avvio|find-my-way|light-my-request|@fastify|fast-json-stringify|ajv|fast-uri|pino|secure-json-parse)/.test(url)) return 'fastify, validation, serialization';
  if (/^node:|^$/.test(url)) return 'Node.js core (HTTP, streams, crypto, syscalls)';
  return 'other dependencies';
}
const selfByArea = new Map();
for (const [id, t] of self) add(selfByArea, area(byId.get(id)), t);

const selfByFn = new Map();
const selfByFile = new Map();
const inclusive = new Map();
for (const [id, t] of self) {
  const n = byId.get(id);
  add(selfByFn, label(n), t);
  add(selfByFile, short(n.callFrame.url) || `(${n.callFrame.functionName})`, t);
  const seen = new Set();
  for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
    const k = label(byId.get(cur));
    if (seen.has(k)) continue;
    seen.add(k);
    if (/\/dist[^/]*\/src\//.test(byId.get(cur).callFrame.url)) add(inclusive, k, t);
  }
}
const print = (title, map) => {
  process.stdout.write(`\n${title}\n`);
  for (const [k, v] of [...map.entries()].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    process.stdout.write(`${((100 * v) / total).toFixed(1).padStart(6)}%  ${(v / 1000).toFixed(0).padStart(7)} ms  ${k}\n`);
  }
};
process.stdout.write(`total sampled: ${(total / 1000).toFixed(0)} ms\n`);
print('self time by area', selfByArea);
print('self time by file', selfByFile);
print('self time by function', selfByFn);
print('inclusive time of src/ functions', inclusive);
