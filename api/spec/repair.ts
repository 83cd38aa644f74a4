import { z } from 'zod';
import {
  AcceptSuggestion,
  AcceptSuggestionInput,
  RefundIdParams,
  RepairAcceptedBody,
  RepairCheck,
  RepairForm,
  RepairInput,
} from '../schemas';
import {
  body,
  json,
  KEY_REUSED,
  OperatorHeaders,
  operatorErrors,
  operatorSecurity as security,
  problem,
  role,
  type PathTable,
} from './common';

/** The repair of one refund: its form, the check as one types, the repair, accepting the suggestion (api/routes/repair). */
export function repairPaths(): PathTable {
  const notReady = problem('notReady', 'The refund has not read its order yet; see Retry-After.');
  return [
    {
      method: 'get',
      path: '/refunds/{id}/repair',
      tags: ['Operators'],
      summary:
        'The repair form: per SKU ordered, refunded and remaining quantity and amount; reasons; the suggested fix',
      ...role('viewer'),
      security,
      request: { params: RefundIdParams },
      responses: { 200: json(RepairForm, 'What the repair dialog shows.'), ...operatorErrors, 409: notReady },
    },
    {
      method: 'post',
      path: '/refunds/{id}/repair/check',
      tags: ['Operators'],
      summary: 'Check a repair without sending it (the workflow’s own validation)',
      ...role(
        'viewer',
        "The workflow's own admission rule on the facts its memo shows, against the order as it last read it (from its history): the answer the repair would get. 200 with `problems` for what is wrong; an unknown key, or a value over the repair's size caps, is a 400.",
      ),
      security,
      request: { params: RefundIdParams, body: body(RepairInput) },
      responses: {
        200: json(RepairCheck, 'The problems, and the plan when there are none.'),
        ...operatorErrors,
        409: notReady,
      },
    },
    {
      method: 'post',
      path: '/refunds/{id}/repair',
      tags: ['Operators'],
      summary: 'Repair a refund parked in AWAITING_REPAIR',
      ...role(
        'operator',
        'Per SKU: ticked, quantity, merchant reason and amount (the connector’s “Failed Refund” dialog), or `{ "acceptSuggestion": true }` to accept the workflow’s suggestion as it is. Validated by the workflow’s update validator: 422 lists the problems and nothing changes.',
      ),
      security,
      request: {
        params: RefundIdParams,
        headers: OperatorHeaders,
        body: body(z.union([RepairInput, AcceptSuggestion])),
      },
      responses: {
        200: json(RepairAcceptedBody, 'Accepted: the plan that will be submitted, and its revision.'),
        ...operatorErrors,
        409: problem(
          'notAllowed',
          `The refund is not waiting for repair (or has no suggestion to accept), ${KEY_REUSED}.`,
        ),
        413: problem('tooLarge'),
        415: problem('unsupportedMediaType'),
        422: problem('invalidRepair', 'The repair breaks refund rules; `problems` and `errors` list them.'),
      },
    },
    {
      method: 'post',
      path: '/refunds/{id}/accept-suggestion',
      tags: ['Operators'],
      summary: 'Accept the workflow’s current suggested repair (refused while a key is in doubt)',
      ...role('operator', 'The body may be left out; `note` goes into the audit trail.'),
      security,
      request: { params: RefundIdParams, headers: OperatorHeaders, body: body(AcceptSuggestionInput) },
      responses: {
        200: json(RepairAcceptedBody, 'Accepted: the plan that will be submitted, and its revision.'),
        ...operatorErrors,
        409: problem('notAllowed', `Not waiting for repair, no suggestion, money may have moved, ${KEY_REUSED}.`),
        415: problem('unsupportedMediaType'),
        422: problem('invalidRepair', 'The suggestion no longer holds against the order; `problems` lists why.'),
      },
    },
  ];
}
