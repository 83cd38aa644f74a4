import { z } from 'zod';
import { Me, RefundDetail, RefundIdParams, StartRefundAccepted, StartRefundInput } from '../schemas';
import { ExportRefundsQuery, ListRefundsQuery, RefundPage } from '../visibility';
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

/** Who am I, the list, its export, starting a refund and reading one (api/routes/refund-list, start, refund-detail). */
export function refundPaths(): PathTable {
  return [
    {
      method: 'get',
      path: '/me',
      tags: ['Operators'],
      summary: 'Who the credential is: name (as recorded in the audit trail) and role',
      ...role('viewer'),
      security,
      responses: { 200: json(Me, 'The signed-in operator.'), 401: operatorErrors[401], 429: operatorErrors[429] },
    },
    {
      method: 'get',
      path: '/refunds',
      tags: ['Operators'],
      summary: 'List refunds (Temporal visibility)',
      ...role(
        'viewer',
        'Newest first. Filters combine with AND. Pass `nextCursor` back as `cursor` for the next page.',
      ),
      security,
      request: { query: ListRefundsQuery },
      responses: { 200: json(RefundPage, 'One page of refunds.'), ...listErrors },
    },
    {
      method: 'post',
      path: '/refunds',
      tags: ['Operators'],
      summary: 'Start a refund by order and refund id (its event was lost upstream)',
      ...role(
        'operator',
        'Starts the refund exactly as its REFUND_REQUESTED event would: the same workflow id, so it is idempotent (a refund already running is joined and re-checks; one that finished is not started again) and a late event joins it. The workflow reads the order from Buy with Prime and parks it for repair if anything is wrong, as for any refund.',
      ),
      security,
      request: { headers: OperatorHeaders, body: body(StartRefundInput) },
      responses: {
        201: json(StartRefundAccepted, 'Started; `Location` is the refund.'),
        200: json(StartRefundAccepted, 'Already known: joined (running) or finished.'),
        ...listErrors,
        409: problem(
          'notAllowed',
          "The refund's workflow id is held by another deployment's workflow; nothing was sent.",
        ),
        415: problem('unsupportedMediaType'),
      },
    },
    {
      method: 'get',
      path: '/refunds.csv',
      tags: ['Operators'],
      summary: 'The list as CSV: status, amounts, idempotency keys, problems, timestamps',
      ...role(
        'viewer',
        'The same filters as GET /refunds, newest first, at most `max` refunds (from the list itself: search attributes and memo). Every text cell is quoted. Columns: workflow_id, order_id, refund_id, store_order_id, status, execution_status, needs_attention, attention_reasons, requested_amount, planned_amount, refunded_amount, currency, plan_revision, idempotency_keys, submission_attempts, problem_codes, problems, advisories, bwp_state, started_at, parked_since, closed_at, last_operator.',
      ),
      security,
      request: { query: ExportRefundsQuery },
      responses: {
        200: { description: 'RFC 4180 CSV with a header line.', content: { 'text/csv': { schema: z.string() } } },
        ...listErrors,
      },
    },
    {
      method: 'get',
      path: '/refunds/{id}',
      tags: ['Operators'],
      summary: 'One refund: state, problems, plan, suggestion, latest attempts and audit trail',
      ...role('viewer', "From the refund's memo on the Temporal server: answered with every worker stopped."),
      security,
      request: { params: RefundIdParams },
      responses: { 200: json(RefundDetail, 'The refund.'), ...operatorErrors },
    },
  ];
}
