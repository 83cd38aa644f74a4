import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { validateRefund } from '../../domain/validate';
import { suggestRepair } from '../../domain/suggest';
import {
  admissionFacts,
  admitDecision,
  admitRecheck,
  admitRepair,
  admitResubmit,
  type Admission,
} from '../../workflows/refund-admission';
import { RefundInbox } from '../../workflows/refund-inbox';
import { refundView } from '../../workflows/refund-view';
import {
  OPERATOR_ACTIONS,
  RefundStatus,
  TERMINAL_STATUSES,
  type OperatorAction,
  type RefundView,
} from '../../workflows/refund.contract';
import { context, repair, repairLine } from '../domain/fixtures';

/**
 * One admission rule (workflows/refund-admission.ts), two readers: the workflow decides on its own state (its update
 * validator and RefundInbox.receive) and the API's `POST /refunds/:id/repair/check` on the refund's memo as describe()
 * answers it (the view, through JSON). On every cell of docs/protocol.md's state × action table (every status, with
 * each thing that changes a verdict recorded or not), both must give the same verdict: accepted, or refused with the
 * same failure type and problem codes.
 */

const now = () => '2026-01-01T00:00:00.000Z';
const ctx = context({ refunds: [{ lines: [{ id: 'L1', qty: 1 }] }] });

/** What changes a verdict besides the status (each alone, and none). */
const SITUATIONS = {
  none: () => undefined,
  'key in doubt': (m: RefundInbox) => {
    m.state.inDoubt = { revision: 1, idempotencyKey: 'k-r1', reason: 'UNKNOWN_OUTCOME', since: now(), detail: 'd' };
  },
  'money moved': (m: RefundInbox) => {
    m.state.refunded = { amount: '10.00', currency: 'USD' };
  },
  'decision recorded': (m: RefundInbox) => {
    m.state.pendingDecision = { kind: 'cancel', operator: 'dan', at: now(), source: 'operator', input: {} };
  },
  'repair recorded': (m: RefundInbox) => {
    m.pendingRepair = { operator: 'rae', input: repair([repairLine('L1', 1, '10.00')]), via: 'repair' };
  },
  'resubmit recorded': (m: RefundInbox) => {
    m.state.inDoubt = { revision: 1, idempotencyKey: 'k-r1', reason: 'IDEMPOTENCY_ALARM', since: now(), detail: 'd' };
    m.resubmit = { operator: 'val', note: 'checked' };
  },
  'Temporal cancel': (m: RefundInbox) => {
    m.temporalCancel = true;
  },
  'applying a decline': (m: RefundInbox) => {
    m.state.decision = {
      kind: 'decline',
      operator: 'dee',
      at: now(),
      source: 'operator',
      input: { statusReason: 'OTHERS' },
    };
  },
  'order not read': (m: RefundInbox) => {
    m.orders = undefined;
  },
  'no suggestion': (m: RefundInbox) => {
    m.state.suggestion = undefined;
  },
} satisfies Record<string, (m: RefundInbox) => void>;

const STATUSES = [
  RefundStatus.FETCHING,
  RefundStatus.AWAITING_REPAIR,
  RefundStatus.SUBMITTING,
  RefundStatus.REPORTING,
  RefundStatus.AWAITING_SETTLEMENT,
  ...TERMINAL_STATUSES,
];

/** A refund in `status` with the order read (its problems and suggestion as validation left them). */
function refundIn(status: RefundStatus, situation: (m: RefundInbox) => void): RefundInbox {
  const m = new RefundInbox({ orderId: ctx.order.id, refundId: ctx.refundId }, now);
  m.orders = { order: ctx.order, storeOrder: ctx.storeOrder, storeOrderId: 'S1' };
  m.policy = ctx.policy;
  const verdict = validateRefund(ctx);
  m.state.problems = verdict.problems;
  m.state.suggestion = suggestRepair(ctx, verdict.problems) ?? {
    repair: repair([repairLine('L1', 1, '10.00')]),
    explanation: ['as planned'],
  };
  m.state.status = status;
  if (TERMINAL_STATUSES.includes(status)) m.state.result = { status, orderId: 'o', refundId: 'r', moneyMoved: false };
  situation(m);
  return m;
}

const INPUTS: Record<OperatorAction, unknown[]> = {
  repair: [repair([repairLine('L1', 1, '10.00')]), repair([repairLine('NOPE', 1, '1.00')])],
  acceptSuggestion: [{ note: 'as suggested' }],
  decline: [{ statusReason: 'OTHERS' }],
  resolve: [{ note: 'by phone' }],
  cancel: [{}],
  recheck: [{}],
  resubmitVerified: [{ verifiedNoMoneyMoved: true, note: 'checked the store' }],
};

type Outcome = { accepted: true } | { accepted: false; type: string; codes: string[] };

const outcomeOf = (a: Admission | { accepted: false; type: string; problems: { code: string }[] }): Outcome =>
  a.accepted ? { accepted: true } : { accepted: false, type: a.type, codes: a.problems.map((p) => p.code).sort() };

/** The workflow's verdict: its update validator, then the door every message goes through. */
function workflowVerdict(m: RefundInbox, action: OperatorAction, input: unknown): Outcome {
  const msg = { operator: 'ops', requestId: `req-${action}`, input };
  const invalid = m.validate(action, msg);
  if (invalid) return outcomeOf({ accepted: false, ...invalid });
  return outcomeOf(m.receive(action, msg, 'update'));
}

/** The API's verdict: the same rule on the facts of the memo as describe() answers it, and the order it read. */
function apiVerdict(
  memo: { view: RefundView; suggestion?: unknown },
  m: RefundInbox,
  action: OperatorAction,
  input: unknown,
): Outcome {
  const view = memo.view;
  const facts = admissionFacts(view, memo.suggestion as never);
  const order = m.orders?.order ? { ...ctx, order: m.orders.order } : undefined;
  switch (action) {
    case 'repair':
      return outcomeOf(admitRepair(facts, 'repair', order, { repair: input }, view.revision));
    case 'acceptSuggestion':
      return outcomeOf(admitRepair(facts, 'acceptSuggestion', order, input as { note?: string }, view.revision));
    case 'decline':
    case 'resolve':
    case 'cancel':
      return outcomeOf(admitDecision(facts, action));
    case 'recheck':
      return outcomeOf(admitRecheck(facts));
    case 'resubmitVerified':
      return outcomeOf(admitResubmit(facts));
  }
}

describe('one admission rule: the workflow and the memo the API reads agree on every cell', () => {
  let cells = 0;
  for (const status of STATUSES) {
    it(`${status}: every action, in every situation`, () => {
      for (const [name, situation] of Object.entries(SITUATIONS)) {
        for (const action of OPERATOR_ACTIONS) {
          for (const input of INPUTS[action]) {
            // The memo first (what describe() answers), then the workflow decides on a refund in the same state.
            const m = refundIn(status, situation);
            const memo = JSON.parse(
              JSON.stringify({ view: refundView(m.state, m, m.orders), suggestion: m.state.suggestion?.repair }),
            ) as { view: RefundView; suggestion?: unknown };
            const api = apiVerdict(memo, m, action, input);
            const workflow = workflowVerdict(m, action, input);
            assert.deepEqual(api, workflow, `${status}, ${name}, ${action} ${JSON.stringify(input)}`);
            cells++;
          }
        }
      }
    });
  }
  it('covers the table', () => {
    assert.equal(cells, STATUSES.length * Object.keys(SITUATIONS).length * 8);
  });
});
