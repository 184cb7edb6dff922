/**
 * Serves the operator dashboard: the static files `npm run build` bundles into dist/dashboard, under
 * /dashboard/. Only files: the page reads the admin API (/alcor/v1, /v2.0) with the caller's token.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import fastifyStatic from '@fastify/static';

/** Where the build puts the bundle (this file runs from dist/src/api/plugins). */
const ROOT = fileURLToPath(new URL('../../../dashboard/', import.meta.url));

/** Serves /dashboard/ from the built bundle; registers nothing when the bundle was not built. */
export default async function dashboard(app: FastifyInstance): Promise<void> {
  if (!existsSync(ROOT)) {
    app.log.warn({ root: ROOT }, 'dashboard bundle not built (npm run build); /dashboard is not served');
    return;
  }
  await app.register(fastifyStatic, { root: ROOT, prefix: '/dashboard/', wildcard: false });
}
