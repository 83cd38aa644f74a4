import express from 'express';
import { requireRole } from '../auth';
import { detailOf } from '../refund-detail';
import { recordOf, workflowIdOf, type RouteDeps } from './shared';

/** GET /refunds/:id: one refund from its memo, answered with every worker stopped. */
export function refundDetailRoutes(deps: RouteDeps): express.Router {
  const router = express.Router();
  router.get('/refunds/:id', requireRole('viewer'), async (req, res) => {
    res.json(detailOf(await recordOf(deps, workflowIdOf(req))));
  });
  return router;
}
