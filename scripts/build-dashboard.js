#!/usr/bin/env node
// Builds the operator dashboard (web/dashboard) into dist/dashboard: type-checks it with its own
// tsconfig (DOM types), bundles src/main.ts with esbuild, and copies the page and its stylesheet.
// Run by `npm run build`; the controller serves the result at /dashboard/.
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { build } from 'esbuild';

const SRC = 'web/dashboard';
const OUT = 'dist/dashboard';

const tsc = spawnSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', join(SRC, 'tsconfig.json')], { stdio: 'inherit' });
if (tsc.status !== 0) process.exit(tsc.status ?? 1);

rmSync(OUT, { recursive: true, force: true });
mkdirSync(OUT, { recursive: true });
await build({
  entryPoints: [join(SRC, 'src/main.ts')],
  outfile: join(OUT, 'app.js'),
  bundle: true,
  format: 'esm',
  target: 'es2022',
  minify: true,
  sourcemap: true,
  logLevel: 'warning',
});
for (const file of ['index.html', 'dashboard.css']) copyFileSync(join(SRC, file), join(OUT, file));
