import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { Problem } from '../../domain/problems';
import type { Fixture } from '../../sandbox';
import {
  FailureType,
  MESSAGES,
  RefundStatus,
  stateQuery,
  type OperatorAction,
  type RefundResult,
  type RefundWorkflowState,
} from '../../workflows/refund.contract';
import type { refundWorkflow } from '../../workflows/refund';
import { createHarness, waitForState, type Harness } from '../helpers/harness';

/**
 * Every cell of docs/protocol.md's state × action table, on a real Temporal server with the sandbox over HTTP. Each
 * refund is held in its status with a sandbox fault (BwP or store latency, commit-then-fail, a refund gone from BwP),
 * the action is sent, and the test checks what the table says: the answer, the audit trail, the end state, and both
 * sandbox ledgers. One test file per status (test/workflows/protocol-*.test.ts) runs its row.
 */

let h: Harness;

type Handle = WorkflowHandle<typeof refundWorkflow>;
interface Held {
  handle: Handle;
  fixture: Fixture;
  /** Lifts the fault that holds the refund in its status. */
  release(): void;
}
type Action = OperatorAction | 'temporalCancel';

const storeLedger = (f: Fixture) => h.sandbox.state.store.ledger().filter((e) => e.key.order === f.storeOrder.id);
const bwpLedger = (f: Fixture) => h.sandbox.state.bwp.ledger().filter((e) => e.orderId === f.bwpOrder.id);

function resetFaults() {
  h.sandbox.state.store.setFaults({ latencyMs: 0, errorRate: 0, commitThenFail: { count: 0 } });
  h.sandbox.state.bwp.setFaults({ latencyMs: 0, errorRate: 0 });
}

const HOLD: Record<string, () => Promise<Held>> = {
  [RefundStatus.FETCHING]: async () => {
    h.sandbox.state.bwp.setFaults({ latencyMs: 2500 });
    const { handle, fixture } = await h.startRefund('healthy-single-sku');
    await waitForState(handle, (s) => s.status === RefundStatus.FETCHING);
    return { handle, fixture, release: resetFaults };
  },
  [RefundStatus.AWAITING_REPAIR]: async () => {
    const { handle, fixture } = await h.startRefund('flat-goodwill-10-usd', { timing: { recheckInitialMs: 3600_000 } });
    await waitForState(handle, (s) => s.status === RefundStatus.AWAITING_REPAIR);
    return { handle, fixture, release: resetFaults };
  },
  [RefundStatus.SUBMITTING]: async () => {
    // The store applies the refund, then holds the connection until our client gives up (an unknown outcome); the
    // same key is sent again and the store answers its committed result. At least two seconds in SUBMITTING.
    h.sandbox.state.store.setFaults({ commitThenFail: { count: 1, mode: 'timeout', holdMs: 10_000 } });
    const { handle, fixture } = await h.startRefund('healthy-single-sku');
    await waitForState(handle, (s) => s.status === RefundStatus.SUBMITTING);
    return { handle, fixture, release: resetFaults };
  },
  [RefundStatus.REPORTING]: async () => {
    h.sandbox.state.store.setFaults({ latencyMs: 800 });
    const { handle, fixture } = await h.startRefund('healthy-single-sku');
    await waitForState(handle, (s) => s.status === RefundStatus.SUBMITTING);
    h.sandbox.state.bwp.setFaults({ latencyMs: 2000 });
    await waitForState(handle, (s) => s.status === RefundStatus.REPORTING);
    return { handle, fixture, release: resetFaults };
  },
  [RefundStatus.AWAITING_SETTLEMENT]: async () => {
    h.sandbox.state.store.setFaults({ latencyMs: 800 });
    const { handle, fixture } = await h.startRefund('healthy-single-sku', {
      timing: { settleInitialMs: 300, settleMaxMs: 300 },
    });
    await waitForState(handle, (s) => s.status === RefundStatus.SUBMITTING);
    // Meanwhile the refund disappears from the BwP order: the report is rejected and settlement cannot end by itself.
    h.sandbox.state.bwp.seedOrder(withoutRefund(fixture));
    const held = await waitForState(handle, (s) => s.status === RefundStatus.AWAITING_SETTLEMENT);
    assert.ok(held.needsAttention, 'a refund gone from BwP is flagged');
    return {
      handle,
      fixture,
      release: () => {
        resetFaults();
        h.sandbox.state.bwp.seedOrder(fixture.bwpOrder, { externalRefundIds: fixture.externalRefundIds });
      },
    };
  },
};

function withoutRefund(f: Fixture): Fixture['bwpOrder'] {
  const order = structuredClone(f.bwpOrder);
  order.refunds.details = order.refunds.details.filter((r) => r.id !== f.refundId);
  return order;
}

const MESSAGE: Record<OperatorAction, (s: RefundWorkflowState) => unknown> = {
  repair: (s) => ({
    operator: 'ops',
    requestId: `r-${Math.random()}`,
    input: s.suggestion?.repair ?? {
      lines: [{ lineItemId: 'x', ticked: true, quantity: 1, reason: 'CustomerReturn', amount: '1.00' }],
    },
  }),
  acceptSuggestion: () => ({ operator: 'ops', requestId: `a-${Math.random()}`, input: { note: 'as suggested' } }),
  decline: () => ({ operator: 'ops', requestId: `d-${Math.random()}`, input: { statusReason: 'OTHERS' } }),
  resolve: () => ({ operator: 'ops', requestId: `s-${Math.random()}`, input: { note: 'done by phone' } }),
  cancel: () => ({ operator: 'ops', requestId: `c-${Math.random()}`, input: { note: 'stop' } }),
  recheck: () => ({ operator: 'ops', requestId: `k-${Math.random()}`, input: {} }),
  resubmitVerified: () => ({
    operator: 'ops',
    requestId: `v-${Math.random()}`,
    input: { verifiedNoMoneyMoved: true, note: 'checked the store' },
  }),
};

/** Sends the action by update (the API's way); answers what it accepted, or the failure's type and problems. */
async function send(
  held: Held,
  action: Action,
): Promise<{ accepted: true } | { accepted: false; type: string; problems: Problem[] }> {
  if (action === 'temporalCancel') {
    await held.handle.cancel();
    return { accepted: true };
  }
  const state = await held.handle.query(stateQuery);
  try {
    await held.handle.executeUpdate(MESSAGES[action].update as never, { args: [MESSAGE[action](state)] as never });
    return { accepted: true };
  } catch (err) {
    assert.ok(err instanceof WorkflowUpdateFailedError, String(err));
    assert.ok(err.cause instanceof ApplicationFailure);
    return { accepted: false, type: err.cause.type ?? '', problems: (err.cause.details?.[0] as Problem[]) ?? [] };
  }
}

async function refused(held: Held, action: Action, code: Problem['code']) {
  const answer = await send(held, action);
  assert.equal(answer.accepted, false, `${action} should be refused`);
  if (answer.accepted) return;
  assert.equal(answer.type, FailureType.NotAllowed);
  assert.ok(
    answer.problems.some((p) => p.code === code),
    JSON.stringify(answer.problems),
  );
  const state = await held.handle.query(stateQuery);
  assert.ok(
    state.audit.some((a) => a.action === action && !a.accepted && a.problems?.some((p) => p.code === code)),
    'the refusal is audited',
  );
}

async function accepted(held: Held, action: Action) {
  const answer = await send(held, action);
  assert.deepEqual(answer, { accepted: true }, `${action} should be accepted: ${JSON.stringify(answer)}`);
}

/** Lets the refund go on and returns its result (released first, so it can finish). */
async function finished(held: Held, then?: () => void): Promise<RefundResult> {
  held.release();
  then?.();
  return held.handle.result();
}

async function noHistoryFailures(held: Held) {
  const history = await held.handle.fetchHistory();
  const failed = history.events?.filter((e) => e.workflowTaskFailedEventAttributes) ?? [];
  assert.equal(failed.length, 0, `WorkflowTaskFailed: ${JSON.stringify(failed[0]?.workflowTaskFailedEventAttributes)}`);
}

/** After a refusal the refund goes on as if nothing happened: here it ends REFUNDED with money moved once. */
async function endsRefunded(held: Held, opts: { settle?: boolean } = {}) {
  const result = await finished(held, () => {
    if (opts.settle)
      h.sandbox.state.bwp.setRefundState({
        orderId: held.fixture.bwpOrder.id,
        refundId: held.fixture.refundId,
        state: 'SUCCESS',
      });
  });
  assert.equal(result.status, RefundStatus.REFUNDED, JSON.stringify(result));
  assert.equal(result.moneyMoved, true);
  assert.equal(storeLedger(held.fixture).length, 1, 'money moved exactly once');
}

async function endsWith(held: Held, status: RefundStatus, moneyMoved: boolean) {
  const result = await finished(held);
  assert.equal(result.status, status, JSON.stringify(result));
  assert.equal(result.moneyMoved, moneyMoved);
  assert.equal(storeLedger(held.fixture).length, moneyMoved ? 1 : 0);
  if (moneyMoved) {
    assert.equal(result.refunded?.amount, storeLedger(held.fixture)[0]!.refunded.amount);
    assert.match(result.note ?? '', /refunded .* before the (cancel|resolve) applied|^/);
  }
  return result;
}

/** Money moved and the result says so; BwP got our SUCCESS report (unless the refund is gone from BwP). */
async function endsAfterReporting(held: Held, status: RefundStatus, reported = true) {
  const result = await endsWith(held, status, true);
  if (reported) assert.equal(bwpLedger(held.fixture).at(-1)?.state, 'SUCCESS', 'the money moved is reported to BwP');
  return result;
}

type Cell = (held: Held) => Promise<void>;
const TABLE: Record<string, Record<Action, Cell>> = {
  [RefundStatus.FETCHING]: {
    repair: (held) => refused(held, 'repair', 'REFUND_NOT_PENDING').then(() => endsRefunded(held)),
    acceptSuggestion: (held) => refused(held, 'acceptSuggestion', 'REFUND_NOT_PENDING').then(() => endsRefunded(held)),
    decline: async (held) => {
      await accepted(held, 'decline');
      const result = await endsWith(held, RefundStatus.DECLINED, false);
      assert.equal(result.statusReason, 'OTHERS');
      assert.equal(bwpLedger(held.fixture).at(-1)?.state, 'FAILURE');
    },
    resolve: async (held) => {
      await accepted(held, 'resolve');
      await endsWith(held, RefundStatus.RESOLVED_ELSEWHERE, false);
      assert.equal(bwpLedger(held.fixture).length, 0, 'nothing sent');
    },
    cancel: async (held) => {
      await accepted(held, 'cancel');
      await endsWith(held, RefundStatus.CANCELLED, false);
      assert.equal(bwpLedger(held.fixture).length, 0);
    },
    temporalCancel: async (held) => {
      await accepted(held, 'temporalCancel');
      await endsWith(held, RefundStatus.CANCELLED, false);
    },
    recheck: (held) => accepted(held, 'recheck').then(() => endsRefunded(held)),
    resubmitVerified: (held) => refused(held, 'resubmitVerified', 'ACTION_NOT_ALLOWED').then(() => endsRefunded(held)),
  },
  [RefundStatus.AWAITING_REPAIR]: {
    repair: async (held) => {
      await accepted(held, 'repair');
      const result = await endsWith(held, RefundStatus.REFUNDED, true);
      assert.equal(result.refunded?.amount, '10.00');
    },
    acceptSuggestion: async (held) => {
      await accepted(held, 'acceptSuggestion');
      await endsWith(held, RefundStatus.REFUNDED, true);
    },
    decline: async (held) => {
      await accepted(held, 'decline');
      await endsWith(held, RefundStatus.DECLINED, false);
      assert.equal(bwpLedger(held.fixture).at(-1)?.state, 'FAILURE');
    },
    resolve: async (held) => {
      await accepted(held, 'resolve');
      await endsWith(held, RefundStatus.RESOLVED_ELSEWHERE, false);
    },
    cancel: async (held) => {
      await accepted(held, 'cancel');
      await endsWith(held, RefundStatus.CANCELLED, false);
    },
    temporalCancel: async (held) => {
      await accepted(held, 'temporalCancel');
      await endsWith(held, RefundStatus.CANCELLED, false);
      assert.equal(bwpLedger(held.fixture).length, 0, 'nothing sent');
    },
    recheck: async (held) => {
      // BwP moved the refund meanwhile; the next re-check would be an hour away, the operator's re-check is now.
      h.sandbox.state.bwp.setRefundState({
        orderId: held.fixture.bwpOrder.id,
        refundId: held.fixture.refundId,
        state: 'SUCCESS',
      });
      await accepted(held, 'recheck');
      await endsWith(held, RefundStatus.RESOLVED_ELSEWHERE, false);
    },
    resubmitVerified: async (held) => {
      await refused(held, 'resubmitVerified', 'ACTION_NOT_ALLOWED');
      assert.equal((await held.handle.query(stateQuery)).status, RefundStatus.AWAITING_REPAIR);
      await accepted(held, 'cancel');
      await endsWith(held, RefundStatus.CANCELLED, false);
    },
  },
  [RefundStatus.SUBMITTING]: {
    repair: (held) => refused(held, 'repair', 'REFUND_NOT_PENDING').then(() => endsRefunded(held)),
    acceptSuggestion: (held) => refused(held, 'acceptSuggestion', 'REFUND_NOT_PENDING').then(() => endsRefunded(held)),
    decline: async (held) => {
      // Recorded; the POST /refund in flight then refunds, so the decline is refused by the workflow (audited).
      await accepted(held, 'decline');
      await endsRefunded(held);
      const state = await held.handle.query(stateQuery);
      assert.ok(
        state.audit.some(
          (a) =>
            a.action === 'decline' &&
            a.via === 'workflow' &&
            !a.accepted &&
            a.problems?.[0]?.code === 'MONEY_ALREADY_MOVED',
        ),
        JSON.stringify(state.audit),
      );
    },
    resolve: async (held) => {
      await accepted(held, 'resolve');
      const result = await endsAfterReporting(held, RefundStatus.RESOLVED_ELSEWHERE);
      assert.match(result.note ?? '', /before the resolve applied/);
    },
    cancel: async (held) => {
      await accepted(held, 'cancel');
      const result = await endsAfterReporting(held, RefundStatus.CANCELLED);
      assert.match(result.note ?? '', /before the cancel applied/);
    },
    temporalCancel: async (held) => {
      await accepted(held, 'temporalCancel');
      await endsAfterReporting(held, RefundStatus.CANCELLED);
    },
    recheck: (held) => accepted(held, 'recheck').then(() => endsRefunded(held)),
    resubmitVerified: (held) => refused(held, 'resubmitVerified', 'ACTION_NOT_ALLOWED').then(() => endsRefunded(held)),
  },
  [RefundStatus.REPORTING]: {
    repair: (held) => refused(held, 'repair', 'REFUND_NOT_PENDING').then(() => endsRefunded(held)),
    acceptSuggestion: (held) => refused(held, 'acceptSuggestion', 'REFUND_NOT_PENDING').then(() => endsRefunded(held)),
    decline: (held) => refused(held, 'decline', 'MONEY_ALREADY_MOVED').then(() => endsRefunded(held)),
    resolve: async (held) => {
      await accepted(held, 'resolve');
      await endsAfterReporting(held, RefundStatus.RESOLVED_ELSEWHERE);
    },
    cancel: async (held) => {
      await accepted(held, 'cancel');
      await endsAfterReporting(held, RefundStatus.CANCELLED);
    },
    temporalCancel: async (held) => {
      await accepted(held, 'temporalCancel');
      await endsAfterReporting(held, RefundStatus.CANCELLED);
    },
    recheck: (held) => accepted(held, 'recheck').then(() => endsRefunded(held)),
    resubmitVerified: (held) => refused(held, 'resubmitVerified', 'ACTION_NOT_ALLOWED').then(() => endsRefunded(held)),
  },
  [RefundStatus.AWAITING_SETTLEMENT]: {
    repair: (held) => refused(held, 'repair', 'REFUND_NOT_PENDING').then(() => endsRefunded(held, { settle: true })),
    acceptSuggestion: (held) =>
      refused(held, 'acceptSuggestion', 'REFUND_NOT_PENDING').then(() => endsRefunded(held, { settle: true })),
    decline: (held) => refused(held, 'decline', 'MONEY_ALREADY_MOVED').then(() => endsRefunded(held, { settle: true })),
    resolve: async (held) => {
      await accepted(held, 'resolve');
      await endsAfterReporting(held, RefundStatus.RESOLVED_ELSEWHERE, false);
    },
    cancel: async (held) => {
      await accepted(held, 'cancel');
      await endsAfterReporting(held, RefundStatus.CANCELLED, false);
    },
    temporalCancel: async (held) => {
      await accepted(held, 'temporalCancel');
      await endsAfterReporting(held, RefundStatus.CANCELLED, false);
    },
    recheck: async (held) => {
      held.release();
      h.sandbox.state.bwp.setRefundState({
        orderId: held.fixture.bwpOrder.id,
        refundId: held.fixture.refundId,
        state: 'SUCCESS',
      });
      await accepted(held, 'recheck');
      // Already released (releasing again would put the refund back to PENDING).
      const result = await held.handle.result();
      assert.equal(result.status, RefundStatus.REFUNDED, JSON.stringify(result));
      assert.equal(result.moneyMoved, true);
      assert.equal(storeLedger(held.fixture).length, 1);
    },
    resubmitVerified: (held) =>
      refused(held, 'resubmitVerified', 'ACTION_NOT_ALLOWED').then(() => endsRefunded(held, { settle: true })),
  },
};

/** Runs the row of one status: one test per action, on a harness of its own. */
export function protocolRow(status: RefundStatus): void {
  const row = TABLE[status]!;
  describe(`state × action table (docs/protocol.md): ${status}`, () => {
    before(async () => {
      h = await createHarness();
    });
    after(async () => {
      await h?.close();
    });
    for (const [action, cell] of Object.entries(row)) {
      // PROTOCOL_CELL=STATUS×action runs one cell (when investigating).
      if (process.env.PROTOCOL_CELL && process.env.PROTOCOL_CELL !== `${status}×${action}`) continue;
      it(`${status} × ${action}`, async () => {
        resetFaults();
        const held = await HOLD[status]!();
        try {
          await cell(held);
          await noHistoryFailures(held);
        } finally {
          resetFaults();
          if ((await held.handle.describe()).status.name === 'RUNNING') await held.handle.terminate('test cleanup');
        }
      });
    }
  });
}
