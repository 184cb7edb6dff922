/** Runs the built `alcor` command as a subprocess, as a user would, and collects its output. */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ALCOR = fileURLToPath(new URL('../../src/cli/alcor.js', import.meta.url));

/** What a finished `alcor` run printed and its exit code. */
export interface AlcorRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `alcor <args>` to completion. */
export function runAlcor(args: string[]): Promise<AlcorRun> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [ALCOR, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
