/**
 * Probe endpoints, outside /v2.0 and without authentication (Kubernetes probes carry no token):
 * `GET /healthz` answers 200 (with the build's version) while the process serves HTTP at all (liveness);
 * `GET /readyz` answers 200 when every readiness check passes and 503 ServiceUnavailable otherwise,
 * including while draining.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { ServiceUnavailable } from '../../domain/errors.js';
import type { HealthService } from '../../services/health.js';
import { ALCOR_VERSION } from '../../version.js';

/** Options of the health plugin. */
export interface HealthPluginOptions {
  health: HealthService;
}

const CheckResult = Type.Object({ ok: Type.Boolean(), error: Type.Optional(Type.String()), durationMs: Type.Number() });

async function healthPlugin(app: FastifyInstance, { health }: HealthPluginOptions): Promise<void> {
  app.get('/healthz', { schema: { hide: true, response: { 200: Type.Object({ status: Type.Literal('ok'), version: Type.String() }) } } }, async () => ({
    status: 'ok' as const,
    version: ALCOR_VERSION,
  }));
  app.get(
    '/readyz',
    {
      schema: {
        hide: true,
        response: { 200: Type.Object({ status: Type.Literal('ready'), checks: Type.Record(Type.String(), CheckResult) }) },
      },
    },
    async () => {
      const report = await health.readiness();
      if (!report.ready) {
        const failed = Object.entries(report.checks).filter(([, r]) => !r.ok).map(([name, r]) => `${name}: ${r.error ?? 'failed'}`);
        throw new ServiceUnavailable(report.draining ? 'Draining for shutdown' : `Not ready: ${failed.join('; ')}`);
      }
      return { status: 'ready' as const, checks: report.checks };
    },
  );
}

export default fp(healthPlugin, { name: 'health' });
