import type { Client } from '@temporalio/client';
import express from 'express';
import { z } from 'zod';
import type { Logger } from '../common/logger';

/**
 * Liveness (the process answers) and readiness (Temporal answers within a timeout), for load balancers and `npm start`.
 * Both are anonymous, so they say only up or not: no namespace, no server version, no reason (the log has it).
 */

export const Health = z.object({ status: z.literal('ok') });
export const Readiness = z.object({ status: z.enum(['ready', 'unavailable']) });

export function healthRoutes(deps: { client: Client; logger: Logger; readyTimeoutMs?: number }): express.Router {
  const { client } = deps;
  const readyTimeoutMs = deps.readyTimeoutMs ?? 2_000;
  const router = express.Router();

  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' } satisfies z.infer<typeof Health>);
  });

  router.get('/readyz', async (_req, res) => {
    try {
      await client.withDeadline(Date.now() + readyTimeoutMs, () => client.workflowService.getSystemInfo({}));
      res.json({ status: 'ready' } satisfies z.infer<typeof Readiness>);
    } catch (err) {
      deps.logger.warn({ err, namespace: client.options.namespace }, 'not ready: Temporal did not answer');
      res
        .status(503)
        .setHeader('Retry-After', '5')
        .json({ status: 'unavailable' } satisfies z.infer<typeof Readiness>);
    }
  });

  return router;
}
