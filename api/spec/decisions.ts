import type { z } from 'zod';
import type { Role } from '../../common/operator-keys';
import {
  CancelInput,
  DecisionAccepted,
  DeclineInput,
  RecheckInput,
  RefundIdParams,
  ResolveInput,
  ResubmitVerifiedInput,
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

type Row = [action: string, summary: string, schema: z.ZodType, needed: Role, description?: string];

const DECISIONS: Row[] = [
  [
    'decline',
    'Decline the refund (reports FAILURE to Buy with Prime with the status reason)',
    DeclineInput,
    'operator',
  ],
  ['resolve', 'Mark the refund resolved outside this system', ResolveInput, 'operator'],
  [
    'cancel',
    'Cancel the refund (after any call in flight; if money moved it is reported and the result says so)',
    CancelInput,
    'admin',
  ],
];

const RECORDED: Row[] = [
  [
    'recheck',
    'Re-check now: Buy with Prime, or the same key of a submission in doubt',
    RecheckInput,
    'operator',
    'The body may be left out.',
  ],
  [
    'resubmit-verified',
    'After an unknown outcome or a 409: state that you verified on the store that no money moved; opens a new key',
    ResubmitVerifiedInput,
    'admin',
    'Moves money under a new idempotency key on a person’s word that nothing moved under the key in doubt: admins only; recorded in the audit trail with the note.',
  ],
];

/** Decisions (followed until carried out) and recorded actions on one refund (api/routes/decisions). */
export function decisionPaths(): PathTable {
  const decisions = DECISIONS.map(([action, summary, schema, needed]): PathTable[number] => ({
    method: 'post',
    path: `/refunds/{id}/${action}`,
    tags: ['Operators'],
    summary,
    ...role(
      needed,
      'docs/protocol.md says what this does in each status. The workflow records it at once; the API follows the refund until it is carried out (200) or answers 202.',
    ),
    security,
    request: { params: RefundIdParams, headers: OperatorHeaders, body: body(schema) },
    responses: {
      200: json(DecisionAccepted, 'Accepted and carried out; `state` is the final state.'),
      202: json(DecisionAccepted, 'Accepted; still being carried out. Poll GET /refunds/{id}.'),
      ...operatorErrors,
      409: problem(
        'notAllowed',
        `Not allowed in the refund’s status (e.g. a decline after money moved), ${KEY_REUSED}.`,
      ),
      415: problem('unsupportedMediaType'),
    },
  }));
  const recorded = RECORDED.map(([action, summary, schema, needed, description]): PathTable[number] => ({
    method: 'post',
    path: `/refunds/{id}/${action}`,
    tags: ['Operators'],
    summary,
    ...role(needed, description),
    security,
    request: { params: RefundIdParams, headers: OperatorHeaders, body: body(schema) },
    responses: {
      202: json(DecisionAccepted, 'Recorded; the refund moves on its own. Poll GET /refunds/{id}.'),
      ...operatorErrors,
      409: problem('notAllowed', `Not allowed in the refund’s status, ${KEY_REUSED}.`),
      415: problem('unsupportedMediaType'),
    },
  }));
  return [...decisions, ...recorded];
}
