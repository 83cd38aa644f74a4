import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { RefundRequest } from '../../domain/schemas/store';
import type { Problem } from '../../domain/problems';
import type { Fixture } from '../../sandbox';
import {
  acceptSuggestionUpdate,
  cancelUpdate,
  declineUpdate,
  FailureType,
  MESSAGES,
  OPERATOR_ACTIONS,
  recheckUpdate,
  RefundStatus,
  refundIdempotencyKey,
  repairUpdate,
  resolveUpdate,
  resubmitVerifiedUpdate,
  SEARCH_ATTRIBUTES,
  stateQuery,
} from '../../workflows/refund.contract';
import type { refundWorkflow } from '../../workflows/refund';
import { createHarness, recordHistory, TOKENS, waitForState, type Harness } from '../helpers/harness';

/**
 * No input can wedge a refund, and no new key while money may have moved: malformed messages, unknown outcomes
 * followed by a 4xx, the 409 alarm, a cancel while money moves, a malformed request built by the service itself,
 * and the waits that must raise a flag. Real server, real workers, the sandbox over HTTP.
 */

let h: Harness;
/** Without the store read, the workflow plans as BwP asks and meets the store's answers head on. */
let blind: Harness;
/** A refund client whose request parse fails: the defect no sandbox fault can produce. */
let defective: Harness;
before(async () => {
  h = await createHarness();
  blind = await createHarness({ readStoreOrder: false });
  defective = await createHarness({
    wrapClients: (c) => ({
      ...c,
      refunds: {
        ...c.refunds,
        submitRefund: (req) => {
          RefundRequest.parse({ ...req, order: '' });
          return c.refunds.submitRefund(req);
        },
      },
    }),
  });
});
after(async () => {
  await Promise.all([h?.close(), blind?.close(), defective?.close()]);
});

type Handle = WorkflowHandle<typeof refundWorkflow>;
const ledger = (x: Harness, f: Fixture) =>
  x.sandbox.state.store.ledger().filter((e) => e.key.order === f.storeOrder.id);
const reports = (x: Harness, f: Fixture) => x.sandbox.state.bwp.ledger().filter((e) => e.orderId === f.bwpOrder.id);

async function noWorkflowTaskFailed(handle: Handle) {
  const history = await handle.fetchHistory();
  const failed = history.events?.filter((e) => e.workflowTaskFailedEventAttributes) ?? [];
  assert.equal(failed.length, 0, `WorkflowTaskFailed: ${JSON.stringify(failed[0]?.workflowTaskFailedEventAttributes)}`);
}

async function failureOf(p: Promise<unknown>): Promise<{ type: string; problems: Problem[] }> {
  const err = await p.then(
    () => assert.fail('the update was accepted'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof WorkflowUpdateFailedError, String(err));
  assert.ok(err.cause instanceof ApplicationFailure);
  return { type: err.cause.type ?? '', problems: (err.cause.details?.[0] as Problem[]) ?? [] };
}

const MALFORMED: [string, unknown][] = [
  ['null', null],
  ['a string', 'x'],
  ['an array', [1]],
  ['an empty object', {}],
  ['a message without input', { operator: 'mallory', requestId: 'no-input' }],
];

describe('malformed messages', () => {
  it('by signal (every signal name, as raw strings): the refund stays parked, each rejection is audited, no WorkflowTaskFailed', async () => {
    const { fixture, handle } = await h.startRefund('flat-goodwill-10-usd', { timing: { recheckInitialMs: 3600_000 } });
    await waitForState(handle, (s) => s.status === RefundStatus.AWAITING_REPAIR);
    const names = [...OPERATOR_ACTIONS, 'refundEvent'];
    for (const name of names)
      for (const [, payload] of MALFORMED) await h.client.workflow.getHandle(handle.workflowId).signal(name, payload);
    const state = await waitForState(
      handle,
      (s) => s.audit.filter((a) => !a.accepted).length >= names.length * MALFORMED.length,
    );
    assert.equal(state.status, RefundStatus.AWAITING_REPAIR);
    const rejected = state.audit.filter((a) => !a.accepted);
    assert.ok(rejected.every((a) => a.problems && a.problems.length > 0 && a.detail === 'malformed message'));
    assert.ok(
      rejected.some((a) => a.operator === 'unknown'),
      "a message without an operator is audited as 'unknown'",
    );
    assert.ok(rejected.some((a) => a.operator === 'mallory' && a.problems?.some((p) => p.field === 'input')));
    assert.equal(state.pendingDecision, undefined);
    await noWorkflowTaskFailed(handle);
    // The refund is not wedged: the API's query answers and a real repair still goes through.
    await handle.executeUpdate(repairUpdate, { args: [{ operator: 'ops', input: state.suggestion!.repair }] });
    assert.equal((await handle.result()).status, RefundStatus.REFUNDED);
    assert.equal(ledger(h, fixture).length, 1);
    await noWorkflowTaskFailed(handle);
    await recordHistory(handle, 'malformed-signal');
  });

  it('by update: each is rejected by the validator with the problems (InvalidMessage); nothing changes', async () => {
    const { handle } = await h.startRefund('flat-goodwill-10-usd', { timing: { recheckInitialMs: 3600_000 } });
    const before = await waitForState(handle, (s) => s.status === RefundStatus.AWAITING_REPAIR);
    for (const action of OPERATOR_ACTIONS) {
      for (const [what, payload] of MALFORMED) {
        const failure = await failureOf(
          h.client.workflow
            .getHandle(handle.workflowId)
            .executeUpdate(MESSAGES[action].update.name, { args: [payload] }),
        );
        assert.equal(failure.type, FailureType.InvalidMessage, `${action} with ${what}`);
        assert.ok(failure.problems.length > 0 && failure.problems.every((p) => p.code === 'INVALID_INPUT'));
      }
    }
    const resubmit = await failureOf(
      handle.executeUpdate(resubmitVerifiedUpdate, {
        args: [{ operator: 'ops', input: { verifiedNoMoneyMoved: false as never, note: 'x' } }],
      }),
    );
    assert.ok(resubmit.problems.some((p) => p.field === 'input.verifiedNoMoneyMoved'));
    const after = await handle.query(stateQuery);
    assert.equal(after.status, RefundStatus.AWAITING_REPAIR);
    assert.deepEqual(after.audit, before.audit, 'a rejected update leaves no trace in the state');
    await noWorkflowTaskFailed(handle);
    await handle.executeUpdate(cancelUpdate, { args: [{ operator: 'ops', input: {} }] });
    assert.equal((await handle.result()).status, RefundStatus.CANCELLED);
  });

  it('two repairs racing: the winner is applied, the loser is refused and audited too', async () => {
    const { handle } = await h.startRefund('flat-goodwill-10-usd', { timing: { recheckInitialMs: 3600_000 } });
    const state = await waitForState(handle, (s) => s.status === RefundStatus.AWAITING_REPAIR);
    const repair = (operator: string) =>
      handle.executeUpdate(repairUpdate, { args: [{ operator, input: state.suggestion!.repair }] });
    const settled = await Promise.allSettled([repair('ann'), repair('bob')]);
    assert.equal(settled.filter((s) => s.status === 'fulfilled').length, 1);
    assert.equal((await handle.result()).status, RefundStatus.REFUNDED);
    const audit = (await handle.query(stateQuery)).audit.filter((a) => a.action === 'repair');
    assert.equal(audit.filter((a) => a.accepted).length, 1);
    assert.ok(
      audit.some(
        (a) => !a.accepted && a.problems?.some((p) => p.code === 'ALREADY_DECIDED' || p.code === 'REFUND_NOT_PENDING'),
      ),
    );
  });
});

describe('request ids (Idempotency-Keys)', () => {
  it('a key used for a re-check, then for a cancel: the cancel is refused (IdempotencyKeyReused) and nothing is cancelled', async () => {
    const { handle } = await h.startRefund('flat-goodwill-10-usd', { timing: { recheckInitialMs: 3600_000 } });
    await waitForState(handle, (s) => s.status === RefundStatus.AWAITING_REPAIR);
    await handle.executeUpdate(recheckUpdate, { args: [{ operator: 'ann', requestId: 'key-1', input: {} }] });
    // Another update (its own update id), the same request id: what the API sends for a reused Idempotency-Key.
    const reused = await failureOf(
      handle.executeUpdate(cancelUpdate, { args: [{ operator: 'root', requestId: 'key-1', input: {} }] }),
    );
    assert.equal(reused.type, FailureType.IdempotencyKeyReused);
    assert.ok(reused.problems.some((p) => p.code === 'IDEMPOTENCY_KEY_REUSED'));
    const state = await handle.query(stateQuery);
    assert.equal(state.status, RefundStatus.AWAITING_REPAIR, 'still parked: nothing was cancelled');
    assert.equal(state.pendingDecision, undefined);
    assert.ok(!state.audit.some((a) => a.action === 'cancel'), 'the validator refused it: nothing recorded');
    await handle.executeUpdate(cancelUpdate, { args: [{ operator: 'root', requestId: 'key-2', input: {} }] });
    assert.equal((await handle.result()).status, RefundStatus.CANCELLED);
    await noWorkflowTaskFailed(handle);
  });
});

describe('no new key while money may have moved', () => {
  it('a timeout then 4xx under one key: retried with the same key, then parked UNKNOWN_OUTCOME; one key used; resubmit-verified opens the next', async () => {
    const { fixture, handle } = await blind.startRefund('healthy-single-sku', {
      // The line was refunded on the store by hand: every answer that gets through is 400 NOT_ENOUGH_ITEMS_LEFT.
      mutate: (f) => {
        for (const line of f.storeOrder.lineItems) line.refundedQuantity = line.quantity;
      },
      timing: { unknownOutcomeRetries: 2 },
    });
    const since = Date.now();
    // The first attempt gets no answer in time (our client gives up at 2 s): an unknown outcome.
    blind.sandbox.state.store.setFaults({ latencyMs: 2600 });
    try {
      await waitForState(handle, (s) => s.attempts.some((a) => a.outcome === 'unknown'), 30_000);
    } finally {
      blind.sandbox.state.store.setFaults({ latencyMs: 0 });
    }
    const parked = await waitForState(handle, (s) => s.status === RefundStatus.AWAITING_REPAIR, 30_000);
    assert.equal(parked.attentions[0]?.reason, 'UNKNOWN_OUTCOME');
    assert.equal(parked.inDoubt?.reason, 'UNKNOWN_OUTCOME');
    assert.equal(parked.revision, 1, 'never bumped by itself');
    const keys = new Set(parked.attempts.map((a) => a.idempotencyKey));
    assert.deepEqual([...keys], [refundIdempotencyKey(fixture.bwpOrder.id, fixture.refundId, 1)]);
    assert.deepEqual(
      parked.attempts.map((a) => a.outcome),
      ['unknown', 'rejected', 'rejected', 'rejected'],
      'the same key is asked again (2 retries) before parking',
    );
    const sent = blind.sandbox.state.store.requests().filter((r) => r.path === '/admin/api/v1/refund' && r.at >= since);
    assert.ok(sent.length >= 4);
    assert.equal(parked.suggestion, undefined, 'no suggestion offers a resubmission');
    assert.ok(parked.problems.some((p) => p.code === 'UNKNOWN_OUTCOME'));
    assert.equal((await handle.describe()).typedSearchAttributes.get(SEARCH_ATTRIBUTES.needsAttention), true);
    // Nothing opens a new key but the operator's statement.
    const repair = await failureOf(
      handle.executeUpdate(repairUpdate, {
        args: [
          {
            operator: 'ops',
            input: {
              lines: [{ lineItemId: 'x', ticked: true, quantity: 1, reason: 'CustomerReturn', amount: '1.00' }],
            },
          },
        ],
      }),
    );
    assert.ok(
      repair.problems.some((p) => p.code === 'MONEY_MAY_HAVE_MOVED'),
      JSON.stringify(repair),
    );
    const decline = await failureOf(
      handle.executeUpdate(declineUpdate, { args: [{ operator: 'ops', input: { statusReason: 'OTHERS' } }] }),
    );
    assert.ok(decline.problems.some((p) => p.code === 'MONEY_MAY_HAVE_MOVED'));

    await handle.executeUpdate(resubmitVerifiedUpdate, {
      args: [{ operator: 'vera', input: { verifiedNoMoneyMoved: true, note: 'store admin shows no refund' } }],
    });
    // Under the new key the 400 is definitive: a new revision, parked with the problem; the flag stays.
    const next = await waitForState(
      handle,
      (s) => s.status === RefundStatus.AWAITING_REPAIR && s.revision === 3,
      30_000,
    );
    assert.ok(next.attempts.some((a) => a.idempotencyKey.endsWith('-r2') && a.outcome === 'rejected'));
    assert.ok(next.problems.some((p) => p.code === 'NOT_ENOUGH_ITEMS_LEFT_TO_REFUND'));
    assert.ok(
      next.attentions?.some((a) => a.reason === 'UNKNOWN_OUTCOME'),
      'the attention flag stays',
    );
    assert.ok(next.audit.some((a) => a.action === 'resubmitVerified' && a.operator === 'vera' && a.via === 'workflow'));
    await handle.executeUpdate(declineUpdate, {
      args: [{ operator: 'ops', input: { statusReason: 'REFUND_ALREADY_PROCESSED' } }],
    });
    assert.equal((await handle.result()).status, RefundStatus.DECLINED);
    assert.equal(ledger(blind, fixture).length, 0);
    await noWorkflowTaskFailed(handle);
  });

  it('409 then accept-suggestion is refused; only resubmit-verified opens a new key; the alarm stays until the end', async () => {
    const { fixture, handle } = await blind.startRefund('healthy-multi-sku', {
      // The key this refund will use was already spent on another payload (say, by an older deployment).
      // Without the store order the shipping charge is unknown: the refund asks the lines alone (93.42 USD).
      mutate: (f) => {
        f.bwpOrder.refunds.details[0]!.refundTotal = { totalAmount: { amount: 93.42, currencyCode: 'USD' } };
      },
      beforeStart: async (f) => {
        const spent = await fetch(`${blind.sandbox.storeUrl}/admin/api/v1/refund`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'X-Purple-Dot-Access-Token': TOKENS.refund },
          body: JSON.stringify({
            id: refundIdempotencyKey(f.bwpOrder.id, f.refundId, 1),
            order: f.storeOrder.id,
            line_items: [{ id: f.storeOrder.lineItems[0]!.id, quantity: 1 }],
          }),
        });
        assert.equal(spent.status, 201);
      },
    });
    const parked = await waitForState(handle, (s) => s.status === RefundStatus.AWAITING_REPAIR);
    assert.equal(parked.attentions[0]?.reason, 'IDEMPOTENCY_ALARM');
    assert.equal(parked.suggestion, undefined, 'no suggestion offers a resubmission');
    assert.equal(parked.revision, 1);
    const refusal = await failureOf(
      handle.executeUpdate(acceptSuggestionUpdate, { args: [{ operator: 'ops', input: {} }] }),
    );
    assert.equal(refusal.type, FailureType.NotAllowed);
    assert.ok(refusal.problems.some((p) => p.code === 'MONEY_MAY_HAVE_MOVED'));
    const audited = (await handle.query(stateQuery)).audit.find((a) => a.action === 'acceptSuggestion');
    assert.equal(audited?.accepted, false);
    assert.equal(ledger(blind, fixture).length, 1, 'only the refund made under the spent key; nothing resent');
    await recordHistory(handle, 'idempotency-alarm');

    await handle.executeUpdate(resubmitVerifiedUpdate, {
      args: [{ operator: 'vera', input: { verifiedNoMoneyMoved: true, note: 'the spent key was a test payload' } }],
    });
    const after = await waitForState(handle, (s) => s.attempts.some((a) => a.idempotencyKey.endsWith('-r2')), 30_000);
    assert.ok(
      after.attentions?.some((a) => a.reason === 'IDEMPOTENCY_ALARM'),
      'the alarm stays',
    );
    await waitForState(handle, (s) => s.status !== RefundStatus.SUBMITTING && s.status !== RefundStatus.FETCHING);
    const now = await handle.query(stateQuery);
    if (now.result === undefined)
      await handle.executeUpdate(resolveUpdate, { args: [{ operator: 'ops', input: { note: 'checked by hand' } }] });
    await handle.result();
    await noWorkflowTaskFailed(handle);
  });
});

describe('a Temporal cancel while money moves', () => {
  it('during a held POST /refund (commit-then-fail timeout): ends CANCELLED with the money recorded and reported to BwP', async () => {
    h.sandbox.state.store.setFaults({ commitThenFail: { count: 1, mode: 'timeout', holdMs: 10_000 } });
    try {
      const { fixture, handle } = await h.startRefund('healthy-single-sku');
      await waitForState(handle, (s) => s.status === RefundStatus.SUBMITTING);
      // The store has applied the refund and holds the connection: money moved, the answer is not back.
      const deadline = Date.now() + 20_000;
      while (ledger(h, fixture).length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      assert.equal(ledger(h, fixture).length, 1);
      await handle.cancel();
      const result = await handle.result();
      assert.equal(result.status, RefundStatus.CANCELLED);
      assert.equal(result.moneyMoved, true);
      assert.equal(result.refunded?.amount, ledger(h, fixture)[0]!.refunded.amount);
      assert.equal(ledger(h, fixture).length, 1, 'money moved exactly once');
      assert.equal(reports(h, fixture).at(-1)?.state, 'SUCCESS', 'BwP knows the money moved');
      const state = await handle.query(stateQuery);
      assert.ok(state.audit.some((a) => a.action === 'temporalCancel'));
      await noWorkflowTaskFailed(handle);
      await recordHistory(handle, 'cancel-during-submission');
    } finally {
      h.sandbox.state.store.setFaults({ commitThenFail: { count: 0 } });
    }
  });
});

describe('no wait without a flag', () => {
  it('SUBMITTING too long is flagged; a cancel then waits a bounded number of attempts and ends saying money may have moved', async () => {
    h.sandbox.state.store.setFaults({ errorRate: 1 });
    try {
      const { fixture, handle } = await h.startRefund('healthy-single-sku', {
        timing: { submitAttentionAfterMs: 1000, unknownOutcomeRetries: 2 },
      });
      const flagged = await waitForState(
        handle,
        (s) => s.attentions.some((a) => a.reason === 'SUBMITTING_TOO_LONG'),
        30_000,
      );
      assert.equal(flagged.status, RefundStatus.SUBMITTING);
      assert.equal((await handle.describe()).typedSearchAttributes.get(SEARCH_ATTRIBUTES.needsAttention), true);
      await handle.executeUpdate(cancelUpdate, { args: [{ operator: 'ops', input: { note: 'store is down' } }] });
      const result = await handle.result();
      assert.equal(result.status, RefundStatus.CANCELLED);
      assert.equal(result.moneyMoved, false);
      assert.equal(result.moneyMayHaveMoved, true);
      assert.equal(ledger(h, fixture).length, 0);
    } finally {
      h.sandbox.state.store.setFaults({ errorRate: 0 });
    }
  });

  it('AWAITING_SETTLEMENT too long and a refund gone from BwP are flagged, visible in the state and the search attribute', async () => {
    h.sandbox.state.store.setFaults({ latencyMs: 800 });
    try {
      const { fixture, handle } = await h.startRefund('healthy-single-sku', {
        timing: { settleAttentionAfterMs: 1000, settleInitialMs: 200, settleMaxMs: 300 },
      });
      await waitForState(handle, (s) => s.status === RefundStatus.SUBMITTING);
      const order = structuredClone(fixture.bwpOrder);
      order.refunds.details = order.refunds.details.filter((r) => r.id !== fixture.refundId);
      h.sandbox.state.bwp.seedOrder(order);
      const state = await waitForState(
        handle,
        (s) =>
          s.status === RefundStatus.AWAITING_SETTLEMENT &&
          !!s.attentions?.some((a) => a.reason === 'SETTLEMENT_TOO_LONG') &&
          !!s.attentions?.some((a) => a.reason === 'REFUND_GONE_FROM_BWP'),
        30_000,
      );
      assert.ok(state.attentions?.some((a) => a.reason === 'REPORT_REJECTED'));
      assert.equal((await handle.describe()).typedSearchAttributes.get(SEARCH_ATTRIBUTES.needsAttention), true);
      await recordHistory(handle, 'report-rejected');
      await handle.executeUpdate(resolveUpdate, {
        args: [{ operator: 'ops', input: { note: 'fixed in BwP by hand' } }],
      });
      const result = await handle.result();
      assert.equal(result.status, RefundStatus.RESOLVED_ELSEWHERE);
      assert.equal(result.moneyMoved, true);
    } finally {
      h.sandbox.state.store.setFaults({ latencyMs: 0 });
    }
  });

  it('a request the service built that does not parse parks with MALFORMED_REQUEST instead of retrying forever', async () => {
    const { fixture, handle } = await defective.startRefund('healthy-single-sku');
    const state = await waitForState(handle, (s) => s.status === RefundStatus.AWAITING_REPAIR, 30_000);
    assert.equal(state.attentions[0]?.reason, 'MALFORMED_REQUEST');
    assert.ok(state.problems.some((p) => p.code === 'MALFORMED_REQUEST'));
    assert.deepEqual(
      state.attempts.map((a) => a.outcome),
      ['malformed'],
      'tried once, not retried',
    );
    assert.equal(defective.sandbox.state.store.requests().filter((r) => r.path === '/admin/api/v1/refund').length, 0);
    await handle.executeUpdate(cancelUpdate, { args: [{ operator: 'ops', input: {} }] });
    assert.equal((await handle.result()).status, RefundStatus.CANCELLED);
    assert.equal(ledger(defective, fixture).length, 0);
  });
});
