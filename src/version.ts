/**
 * The version of this Alcor build: what `--version` prints, `GET /` and `/healthz` report and the agent
 * sends in its Hello. package.json is the one place it is written; it is read once, from the package
 * root next to `dist/` (this file runs as dist/src/version.js).
 */
import { readFileSync } from 'node:fs';

/** This build's version, e.g. "0.2.0" (package.json `version`). */
export const ALCOR_VERSION: string = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
