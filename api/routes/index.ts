import express from 'express';
import { bulkRoutes, type BulkRoutesDeps } from './bulk';
import { decisionRoutes } from './decisions';
import { refundDetailRoutes } from './refund-detail';
import { refundListRoutes } from './refund-list';
import { repairRoutes } from './repair';
import { withDefaults, type RefundRoutesDeps } from './shared';
import { startRoutes } from './start';

/**
 * The operator API, one router per resource: who am I and the list (refund-list), starting a refund (start), one
 * refund (refund-detail), its repair (repair), decisions and recorded actions (decisions), and bulk actions (bulk).
 * Routes are thin: each parses its input with zod, reads the refund from the Temporal server alone
 * (api/refund-reads.ts), writes through the contract's updates (routes/updates.ts), and lets the one error handler
 * shape every failure.
 */
export function operatorRoutes(deps: RefundRoutesDeps & { bulk: Omit<BulkRoutesDeps, 'client' | 'taskQueue'> }) {
  const routeDeps = withDefaults(deps);
  const router = express.Router();
  router.use(
    bulkRoutes({ client: deps.client, taskQueue: deps.taskQueue, ...deps.bulk }),
    refundListRoutes(routeDeps),
    startRoutes(routeDeps),
    refundDetailRoutes(routeDeps),
    repairRoutes(routeDeps),
    decisionRoutes(routeDeps),
  );
  return router;
}

export type { RefundRoutesDeps, BulkRoutesDeps };
