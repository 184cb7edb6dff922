/**
 * Earlier releases of Alcor, built from git for the upgrade tests. CHANGELOG.md names each release's
 * commit in its heading (`## 0.1.0 (<commit>)`); the tests upgrade from the newest release and from the
 * first one. A release is extracted with `git archive` and compiled (src only) once per commit under
 * .tmp/releases/<commit>, reusing this checkout's node_modules when its package.json pins the same
 * dependencies (else it gets its own `npm install`).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, realpathSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (this file runs as dist/test/upgrade/previous-build.js). */
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** A released version and the commit it was cut from. */
export interface Release {
  version: string;
  commit: string;
}

/** A release compiled and ready to run. */
export interface BuiltRelease extends Release {
  dir: string;
  /** Its `alcor-server` and `alcor-agent` entry points. */
  server: string;
  agent: string;
}

/** Releases named in CHANGELOG.md, newest first. */
export function releasesInChangelog(): Release[] {
  const text = readFileSync(join(REPO_ROOT, 'CHANGELOG.md'), 'utf8');
  return [...text.matchAll(/^## (\d+\.\d+\.\d+) \(([0-9a-f]{7,40})\)\s*$/gm)].map((m) => ({ version: m[1] ?? '', commit: m[2] ?? '' }));
}

/** The releases an upgrade must start from: the newest and the first (one entry when they are the same). */
export function releasesToUpgradeFrom(): Release[] {
  const releases = releasesInChangelog();
  const picked = [releases[0], releases.at(-1)].filter((r): r is Release => r !== undefined);
  if (picked.length === 0) throw new Error('CHANGELOG.md names no released version with its commit ("## x.y.z (<commit>)")');
  return picked.filter((r, i) => picked.findIndex((o) => o.commit === r.commit) === i);
}

function git(args: string[]): string {
  return execFileSync('git', args, { cwd: REPO_ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

/** The full hash of a release's commit; throws with what to do when this clone lacks it. */
function resolveCommit(release: Release): string {
  const found = spawnSync('git', ['rev-parse', '--verify', '--quiet', `${release.commit}^{commit}`], { cwd: REPO_ROOT, encoding: 'utf8' });
  if (found.status === 0) return found.stdout.trim();
  const shallow = spawnSync('git', ['rev-parse', '--is-shallow-repository'], { cwd: REPO_ROOT, encoding: 'utf8' }).stdout.trim() === 'true';
  throw new Error(
    `release ${release.version}: commit ${release.commit} is not in this clone's history` +
      `${shallow ? ' (the clone is shallow: run `git fetch --unshallow`)' : ''}; the upgrade tests build that release from it`,
  );
}

function sameDependencies(a: string, b: string): boolean {
  const pick = (path: string) => {
    const pkg = JSON.parse(readFileSync(path, 'utf8')) as { dependencies?: unknown; devDependencies?: unknown };
    return JSON.stringify([pkg.dependencies, pkg.devDependencies]);
  };
  return pick(a) === pick(b);
}

/** Builds `release` (or finds it built) under .tmp/releases/<commit>. */
export function buildRelease(release: Release): BuiltRelease {
  const commit = resolveCommit(release);
  const dir = join(REPO_ROOT, '.tmp', 'releases', commit);
  const built = (): BuiltRelease => ({
    ...release,
    commit,
    dir,
    server: join(dir, 'dist/src/cli/alcor-server.js'),
    agent: join(dir, 'dist/src/cli/alcor-agent.js'),
  });
  if (existsSync(join(dir, '.built'))) return built();
  // Built beside the final place and renamed into it, so a run interrupted halfway never leaves a half build to reuse.
  const staging = `${dir}.staging-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  try {
    git(['archive', '--format=tar', '-o', `${staging}.tar`, commit]);
    execFileSync('tar', ['-xf', `${staging}.tar`, '-C', staging]);
    let modules = join(staging, 'node_modules');
    if (sameDependencies(join(staging, 'package.json'), join(REPO_ROOT, 'package.json'))) {
      // This checkout's node_modules as a path, not its target: the build then follows a reinstall (another Node.js).
      symlinkSync(join(REPO_ROOT, 'node_modules'), modules);
    } else {
      execFileSync('npm', ['install', '--no-audit', '--no-fund'], { cwd: staging, stdio: 'ignore' });
    }
    modules = realpathSync(modules);
    writeFileSync(join(staging, 'tsconfig.release.json'), JSON.stringify({ extends: './tsconfig.json', include: ['src/**/*.ts'] }));
    execFileSync(process.execPath, [join(modules, 'typescript/bin/tsc'), '-p', 'tsconfig.release.json'], { cwd: staging, stdio: 'pipe' });
    writeFileSync(join(staging, '.built'), `${release.version} ${commit}\n`);
    mkdirSync(join(REPO_ROOT, '.tmp', 'releases'), { recursive: true });
    try {
      renameSync(staging, dir);
    } catch {
      // Another run finished the same build first; theirs is as good.
      if (!existsSync(join(dir, '.built'))) throw new Error(`could not move the build of ${release.version} into ${dir}`);
    }
  } finally {
    rmSync(staging, { recursive: true, force: true });
    rmSync(`${staging}.tar`, { force: true });
  }
  return built();
}
