#!/usr/bin/env node
// The southbound schema (proto/) may only change in ways the previous release's agents and controllers
// still understand: `buf breaking` against the newest release named in CHANGELOG.md ("## x.y.z (<commit>)"),
// read from this clone's git history (no network). Outside a git checkout there is nothing to compare with.
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const release = /^## (\d+\.\d+\.\d+) \(([0-9a-f]{7,40})\)\s*$/m.exec(readFileSync('CHANGELOG.md', 'utf8'));
if (!release) {
  console.error('check-proto-breaking: CHANGELOG.md names no released version with its commit');
  process.exit(1);
}
const [, version, commit] = release;
const inGit = spawnSync('git', ['rev-parse', '--verify', '--quiet', `${commit}^{commit}`], { encoding: 'utf8' });
if (inGit.status !== 0) {
  const message = `commit ${commit} of release ${version} is not in this clone's history (a shallow clone or no git checkout)`;
  if (process.env.CI === 'true') {
    console.error(`check-proto-breaking: ${message}`);
    process.exit(1);
  }
  console.error(`\n*** skipping check-proto-breaking: ${message} ***\n`);
  process.exit(0);
}
try {
  execFileSync('buf', ['breaking', '--against', `.git#ref=${inGit.stdout.trim()}`], { stdio: 'inherit' });
} catch {
  console.error(`check-proto-breaking: proto/ breaks compatibility with release ${version}; add fields and messages instead of changing or removing them`);
  process.exit(1);
}
console.log(`check-proto-breaking: proto/ is compatible with release ${version}`);
