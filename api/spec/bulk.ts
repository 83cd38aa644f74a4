import { BULK_ACTIONS, BULK_BODIES, BULK_MAX, BulkAnswer, BulkFilterQuery, BulkJobParams, BulkProgress } from '../bulk';
import {
  body,
  json,
  listErrors,
  OperatorHeaders,
  operatorErrors,
  operatorSecurity as security,
  problem,
  role,
  type PathTable,
} from './common';

const BULK_SUMMARY: Record<keyof typeof BULK_ACTIONS, string> = {
  'accept-suggestion': 'Bulk: accept the suggested repair of every refund the filter matches',
  decline: 'Bulk: decline every refund the filter matches, with a Buy with Prime status reason',
  recheck: 'Bulk: re-check now every refund the filter matches',
};

/** Bulk actions by filter and their jobs (api/routes/bulk). */
export function bulkPaths(): PathTable {
  const actions = (Object.keys(BULK_ACTIONS) as (keyof typeof BULK_ACTIONS)[]).map((action): PathTable[number] => ({
    method: 'post',
    path: `/bulk/${action}`,
    tags: ['Bulk actions'],
    summary: BULK_SUMMARY[action],
    ...role(
      BULK_ACTIONS[action].role,
      `The filter is GET /refunds’s (query parameters, combined with AND; at least one), over running refunds. \`dryRun: true\` only counts them. Otherwise the refunds are listed and counted, and one Temporal batch operation signals exactly those (a refund that joins the filter later is not signalled) the refund’s own message, recorded in its audit trail with your name; the answer says what each refund did with it (read back from its audit trail). Send \`expectedCount\` (the dry run’s count) so nothing is sent if the filter now matches another number. The Idempotency-Key (required) names the job: the same request again answers the same job and sends nothing more; the same key with another filter or body is a 409. Nothing matching is a 200 with \`matched: 0\`. More than ${BULK_MAX} matching is a 409.`,
    ),
    security,
    request: { query: BulkFilterQuery, headers: OperatorHeaders, body: body(BULK_BODIES[action]) },
    responses: {
      200: json(BulkAnswer, 'Dry run: the count. Otherwise: the batch finished; each refund’s outcome.'),
      202: json(BulkAnswer, 'The batch is still running; follow GET /bulk/jobs/{jobId}.'),
      ...listErrors,
      409: problem(
        'notAllowed',
        `The count changed since the dry run, more than ${BULK_MAX} refunds match, another bulk action is running (see Retry-After), or the Idempotency-Key started a job with another filter or body (\`/problems/idempotency-key-reused\`); nothing was sent.`,
      ),
      415: problem('unsupportedMediaType'),
    },
  }));
  return [
    ...actions,
    {
      method: 'get',
      path: '/bulk/jobs/{jobId}',
      tags: ['Bulk actions'],
      summary: 'Progress of a bulk action (its Temporal batch operation)',
      ...role('operator'),
      security,
      request: { params: BulkJobParams },
      responses: { 200: json(BulkProgress, 'The batch operation’s state and counts.'), ...operatorErrors },
    },
  ];
}
