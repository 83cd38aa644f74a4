import type { Client } from '@temporalio/client';
import express from 'express';
import { z } from 'zod';
import type { Logger } from '../common/logger';

/** Liveness (the process answers) and readiness (Temporal answers within a timeout), for load balancers and `npm start`. */

export const Health = z.object({ status: z.literal('ok') });
export const Readiness = z.object({
  status: z.enum(['ready', 'unavailable']),
  temporal: z.object({
    reachable: z.boolean(),
    namespace: z.string(),
    serverVersion: z.string().optional(),
  }),
});

export function healthRoutes(deps: { client: Client; logger: Logger; readyTimeoutMs?: number }): express.Router {
  const { client } = deps;
  const readyTimeoutMs = deps.readyTimeoutMs ?? 2_000;
  const router = express.Router();

  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' } satisfies z.infer<typeof Health>);
  });

  router.get('/readyz', async (_req, res) => {
    const namespace = client.options.namespace;
    try {
      const info = await client.withDeadline(Date.now() + readyTimeoutMs, () =>
        client.workflowService.getSystemInfo({}),
      );
      res.json({
        status: 'ready',
        temporal: { reachable: true, namespace, ...(info.serverVersion ? { serverVersion: info.serverVersion } : {}) },
      } satisfies z.infer<typeof Readiness>);
    } catch (err) {
      // Why stays in the log: an unauthenticated probe must not learn internal addresses or errors.
      deps.logger.warn({ err }, 'not ready: Temporal did not answer');
      res
        .status(503)
        .setHeader('Retry-After', '5')
        .json({ status: 'unavailable', temporal: { reachable: false, namespace } } satisfies z.infer<typeof Readiness>);
    }
  });

  return router;
}
