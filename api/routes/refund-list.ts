import express from 'express';
import { operatorOf, requireRole } from '../auth';
import { exportColumns, toCsv } from '../export';
import { parseOr400 } from '../problem';
import { ExportRefundsQuery, ListRefundsQuery, listRefundPage, listRefunds, type ListedRefund } from '../visibility';
import { temporalCall, type RouteDeps } from './shared';

/** Who is signed in, the list of refunds (Temporal visibility) and its CSV export. */
export function refundListRoutes(deps: RouteDeps): express.Router {
  const router = express.Router();

  /** Who is signed in, with which role: the repair page asks this when an operator signs in. */
  router.get('/me', requireRole('viewer'), (_req, res) => {
    const { name, role, via } = operatorOf(res);
    res.json({ name, role, via });
  });

  router.get('/refunds', requireRole('viewer'), async (req, res) => {
    const query = parseOr400(ListRefundsQuery, req.query, 'query', 'The filters are not valid.');
    res.json(await temporalCall(deps, '(list)', () => listRefunds(deps.client, query, deps.taskQueue)));
  });

  /** The list as CSV, for a spreadsheet: each refund with its status, amounts, idempotency keys, problems and times. */
  router.get('/refunds.csv', requireRole('viewer'), async (req, res) => {
    const query = parseOr400(ExportRefundsQuery, req.query, 'query', 'The filters are not valid.');
    const listed: ListedRefund[] = [];
    let cursor: string | undefined;
    do {
      const limit = Math.min(100, query.max - listed.length);
      const page = await temporalCall(deps, '(list)', () =>
        listRefundPage(deps.client, { ...query, limit, cursor }, deps.taskQueue),
      );
      listed.push(...page.refunds);
      cursor = page.nextCursor;
    } while (cursor && listed.length < query.max);
    res
      .type('text/csv; charset=utf-8')
      .setHeader('Content-Disposition', `attachment; filename="refunds-${new Date().toISOString().slice(0, 10)}.csv"`)
      .send(toCsv(exportColumns, listed));
  });

  return router;
}
