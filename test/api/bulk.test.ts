import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { refundWorkflowId, RefundStatus, stateQuery } from '../../workflows/refund.contract';
import { waitForState } from '../helpers/harness';
import { uniqueId } from '../helpers/temporal';
import { createApiHarness, eventually, OPERATORS, problemOf, type ApiHarness } from './api-harness';

/**
 * Bulk actions by filter on a real server: one Temporal batch operation per action, a dry-run count first, the outcome
 * per refund read back from its audit trail, roles, idempotency by Idempotency-Key, and 400s naming the field. Every
 * refund of this file runs on the harness's own task queue, so `status=AWAITING_REPAIR` finds only this file's.
 */

interface Outcome {
  workflowId: string;
  outcome: string;
  status?: string;
  problems?: { code: string }[];
}
interface Answer {
  action: string;
  dryRun: boolean;
  matched: number;
  jobId?: string;
  requestId?: string;
  replayed?: boolean;
  progress?: { state: string; total: number; completed: number; failed: number };
  refunds?: Outcome[];
}

describe('bulk actions by filter (Temporal batch operations)', () => {
  let api: ApiHarness;
  before(async () => {
    api = await createApiHarness();
  });
  after(async () => {
    await api?.close();
  });

  /** Starts refunds of a fixture and waits until each is parked and listed as such. */
  const park = async (fixture: string, n: number): Promise<string[]> => {
    const ids: string[] = [];
    for (let i = 0; i < n; i++) {
      const f = await api.seed(fixture);
      await api.postEvent(api.eventFor(f));
      const id = refundWorkflowId(f.bwpOrder.id, f.refundId);
      await waitForState(api.client.workflow.getHandle(id), (s) => s.status === RefundStatus.AWAITING_REPAIR);
      ids.push(id);
    }
    return ids;
  };

  const bulk = (
    action: string,
    query: string,
    body: unknown,
    init: { key?: string; as?: 'viewer' | 'operator' | 'admin' } = {},
  ) =>
    api.operator(`/bulk/${action}?${query}`, {
      body,
      as: init.as ?? 'operator',
      ...(init.key ? { headers: { 'Idempotency-Key': init.key } } : {}),
    });

  /** Waits until visibility lists exactly `n` parked refunds (it lags the workflows a little). */
  const countIs = (action: string, query: string, n: number, as: 'operator' | 'admin' = 'operator') =>
    eventually(async () => {
      const res = await bulk(action, query, { dryRun: true }, { as });
      assert.equal(res.status, 200);
      const answer = (await res.json()) as Answer;
      return answer.matched === n ? answer : undefined;
    }, `${n} refunds matched`);

  it('dry run counts without acting; accept-suggestion signals each through one batch, reports each, and is idempotent', async () => {
    const ids = await park('flat-goodwill-10-usd', 3);
    const dry = await countIs('accept-suggestion', 'status=AWAITING_REPAIR', 3);
    assert.equal(dry.dryRun, true);
    assert.equal(dry.jobId, undefined);
    for (const id of ids) {
      const state = await api.client.workflow.getHandle(id).query(stateQuery);
      assert.equal(state.status, RefundStatus.AWAITING_REPAIR, 'a dry run changes nothing');
      assert.deepEqual(state.audit, []);
    }
    // The count changed since it was confirmed: nothing is sent.
    const stale = await bulk(
      'accept-suggestion',
      'status=AWAITING_REPAIR',
      { expectedCount: 2 },
      { key: uniqueId('k') },
    );
    assert.equal(stale.status, 409);
    assert.ok((await problemOf(stale)).problems?.some((p) => p.field === 'expectedCount'));

    const key = uniqueId('bulk-accept');
    const res = await bulk(
      'accept-suggestion',
      'status=AWAITING_REPAIR',
      { expectedCount: 3, note: 'outage' },
      { key },
    );
    assert.equal(res.status, 200, await res.clone().text());
    const answer = (await res.json()) as Answer;
    assert.equal(answer.matched, 3);
    assert.match(answer.jobId!, /^refunds-bulk-accept-suggestion-[0-9a-f]{32}$/);
    assert.equal(answer.progress?.state, 'COMPLETED');
    assert.equal(answer.progress?.total, 3);
    assert.equal(answer.progress?.completed, 3);
    assert.deepEqual(answer.refunds!.map((r) => r.workflowId).sort(), [...ids].sort());
    assert.ok(
      answer.refunds!.every((r) => r.outcome === 'accepted'),
      JSON.stringify(answer.refunds),
    );

    for (const id of ids) {
      const result = await api.client.workflow.getHandle(id).result();
      assert.equal(result.status, RefundStatus.REFUNDED);
      const state = await api.client.workflow.getHandle(id).query(stateQuery);
      assert.deepEqual(
        state.audit.map((a) => [a.operator, a.action, a.accepted, a.requestId, a.via]),
        [[OPERATORS.operator, 'acceptSuggestion', true, answer.requestId, 'signal']],
        'one audit entry, with the credential’s name',
      );
    }
    // The same request again: the same job, nothing sent again, each refund refunded once.
    const again = await bulk(
      'accept-suggestion',
      'status=AWAITING_REPAIR',
      { expectedCount: 3, note: 'outage' },
      { key },
    );
    assert.equal(again.status, 200);
    const replay = (await again.json()) as Answer;
    assert.equal(replay.jobId, answer.jobId);
    assert.equal(replay.replayed, true);
    assert.equal(replay.progress?.completed, 3);
    for (const id of ids) {
      const { storeOrderId } = await api.client.workflow.getHandle(id).query(stateQuery);
      assert.equal(
        api.sandbox.state.store.ledger().filter((e) => e.key.order === storeOrderId).length,
        1,
        'refunded once',
      );
    }
    const progress = await api.operator(`/bulk/jobs/${answer.jobId}`);
    assert.equal(progress.status, 200);
    assert.equal(((await progress.json()) as { state: string }).state, 'COMPLETED');
  });

  it('reports a refund that refuses the message (no suggestion) next to one that takes it', async () => {
    const [withSuggestion] = await park('flat-goodwill-10-usd', 1);
    const [without] = await park('line-removed-from-store', 1);
    const state = await api.client.workflow.getHandle(without!).query(stateQuery);
    assert.equal(state.suggestion, undefined, 'precondition: nothing to accept');
    await countIs('accept-suggestion', 'status=AWAITING_REPAIR', 2);
    const res = await bulk('accept-suggestion', 'status=AWAITING_REPAIR', { expectedCount: 2 }, { key: uniqueId('k') });
    assert.equal(res.status, 200, await res.clone().text());
    const byId = new Map(((await res.json()) as Answer).refunds!.map((r) => [r.workflowId, r]));
    assert.equal(byId.get(withSuggestion!)?.outcome, 'accepted');
    assert.equal(byId.get(without!)?.outcome, 'refused');
    assert.ok(byId.get(without!)?.problems?.some((p) => p.code === 'NO_SUGGESTION'));
    assert.equal(byId.get(without!)?.status, RefundStatus.AWAITING_REPAIR);
    await api.client.workflow.getHandle(withSuggestion!).result();
  });

  it('re-check now (operator) and decline with a status reason (admin only)', async () => {
    // The refund without a suggestion from the test before is still parked: two in all.
    const [id] = await park('line-removed-from-store', 1);
    await countIs('recheck', 'status=AWAITING_REPAIR', 2);
    const recheck = (await (
      await bulk('recheck', 'status=AWAITING_REPAIR', {}, { key: uniqueId('k') })
    ).json()) as Answer;
    assert.equal(recheck.matched, 2);
    assert.ok(
      recheck.refunds!.every((r) => r.outcome === 'accepted'),
      JSON.stringify(recheck.refunds),
    );
    const audit = (await api.client.workflow.getHandle(id!).query(stateQuery)).audit;
    assert.deepEqual(
      audit.map((a) => [a.operator, a.action, a.accepted]),
      [[OPERATORS.operator, 'recheck', true]],
    );

    const forbidden = await bulk('decline', 'status=AWAITING_REPAIR', { statusReason: 'OTHERS', dryRun: true });
    assert.equal(forbidden.status, 403, 'decline needs admin, even to count');
    const res = await bulk(
      'decline',
      'status=AWAITING_REPAIR',
      { statusReason: 'OTHERS', note: 'cleanup' },
      { key: uniqueId('k'), as: 'admin' },
    );
    assert.equal(res.status, 200, await res.clone().text());
    const declined = (await res.json()) as Answer;
    assert.equal(declined.matched, 2);
    assert.ok(
      declined.refunds!.every((r) => r.outcome === 'accepted'),
      JSON.stringify(declined.refunds),
    );
    const result = await api.client.workflow.getHandle(id!).result();
    assert.equal(result.status, RefundStatus.DECLINED);
    assert.equal(result.statusReason, 'OTHERS');
    const after = (await api.client.workflow.getHandle(id!).query(stateQuery)).audit.filter(
      (a) => a.action === 'decline',
    );
    assert.ok(
      after.every((a) => a.operator === OPERATORS.admin),
      JSON.stringify(after),
    );
  });

  it('nothing matching is a clean answer; a viewer may do none of it; bad filters and bodies are 400 naming the field', async () => {
    const none = await bulk('recheck', `orderId=${uniqueId('nobody')}`, {}, { key: uniqueId('k') });
    assert.equal(none.status, 200);
    const answer = (await none.json()) as Answer;
    assert.equal(answer.matched, 0);
    assert.deepEqual(answer.refunds, []);
    assert.equal(answer.jobId, undefined);

    for (const action of ['accept-suggestion', 'recheck', 'decline']) {
      const res = await bulk(action, 'status=AWAITING_REPAIR', { dryRun: true }, { as: 'viewer' });
      assert.equal(res.status, 403, action);
    }
    const viewerJob = await api.operator(`/bulk/jobs/refunds-bulk-recheck-${'0'.repeat(32)}`, { as: 'viewer' });
    assert.equal(viewerJob.status, 403);
    const noJob = await api.operator(`/bulk/jobs/refunds-bulk-recheck-${'0'.repeat(32)}`);
    assert.equal(noJob.status, 404);

    for (const [action, query, body, field, key] of [
      ['recheck', 'status=NOPE', { dryRun: true }, 'query.status', undefined],
      ['recheck', 'colour=red', { dryRun: true }, 'query.colour', undefined],
      ['recheck', 'needsAttention=maybe', { dryRun: true }, 'query.needsAttention', undefined],
      ['recheck', '', { dryRun: true }, 'query', undefined],
      ['recheck', 'status=AWAITING_REPAIR', { dryRun: true, colour: 1 }, 'body.colour', undefined],
      ['recheck', 'status=AWAITING_REPAIR', { expectedCount: -1 }, 'body.expectedCount', undefined],
      ['decline', 'status=AWAITING_REPAIR', { statusReason: 'BECAUSE' }, 'body.statusReason', 'k1'],
      ['recheck', 'status=AWAITING_REPAIR', {}, 'header.idempotency-key', ''],
    ] as const) {
      const res = await api.operator(`/bulk/${action}?${query}`, {
        body,
        as: 'admin',
        headers: key === '' ? { 'Idempotency-Key': '' } : {},
      });
      const problem = await problemOf(res);
      assert.equal(problem.status, 400, `${action}?${query} ${JSON.stringify(body)}: ${JSON.stringify(problem)}`);
      assert.ok(
        problem.errors?.some((e) => e.field === field || e.field.startsWith(`${field}.`)),
        `${field} in ${JSON.stringify(problem.errors)}`,
      );
    }
  });
  /** Two refunds of one order, parked: the filter `orderId=…&status=AWAITING_REPAIR` finds them and nothing else. */
  let order:
    | Promise<{ orderId: string; ids: string[]; filter: string; later: (refundId: string) => Promise<string> }>
    | undefined;
  const parkedOrder = () =>
    (order ??= (async () => {
      const fixture = await api.seed('flat-goodwill-10-usd');
      const { businessProductId: bp, bwpOrder } = fixture;
      const event = api.eventFor(fixture);
      const resource = (refundId: string) => `businessProduct/${bp}/order/${bwpOrder.id}/refund/${refundId}`;
      /** Another refund of the order announced and parked (unknown to Buy with Prime: it parks with a problem). */
      const later = async (refundId: string) => {
        const res = await api.postEvent({ ...event, eventId: uniqueId('evt'), resources: [resource(refundId)] });
        assert.equal(res.status, 202);
        const id = refundWorkflowId(bwpOrder.id, refundId);
        await waitForState(api.client.workflow.getHandle(id), (s) => s.status === RefundStatus.AWAITING_REPAIR);
        return id;
      };
      assert.equal(
        (await api.postEvent({ ...event, resources: [event.resources[0]!, resource('r-extra-1')] })).status,
        202,
      );
      const ids = [refundWorkflowId(bwpOrder.id, fixture.refundId), refundWorkflowId(bwpOrder.id, 'r-extra-1')];
      for (const id of ids)
        await waitForState(api.client.workflow.getHandle(id), (s) => s.status === RefundStatus.AWAITING_REPAIR);
      const filter = `orderId=${bwpOrder.id}&status=AWAITING_REPAIR`;
      await countIs('recheck', filter, 2);
      return { orderId: bwpOrder.id, ids, filter, later };
    })());
  const auditOf = async (id: string, requestId: string | undefined) =>
    (await api.client.workflow.getHandle(id).query(stateQuery)).audit.filter(
      (a) => a.requestId === requestId && a.via === 'signal',
    );

  it('signals exactly the refunds it counted and listed: a refund that joins the filter before the batch starts is not signalled', async () => {
    const { ids, filter, later } = await parkedOrder();
    let lateId = '';
    // Between the listing and the batch, a third refund of the order parks and is listed by the same filter.
    const url = await api.serve(api.config, {
      afterBulkListing: async (listed) => {
        assert.deepEqual([...listed].sort(), [...ids].sort());
        lateId = await later('r-extra-2');
        await countIs('recheck', filter, 3);
      },
    });
    const res = await fetch(`${url}/bulk/recheck?${filter}`, {
      method: 'POST',
      headers: {
        Authorization: `Bearer ${api.keys.operator}`,
        'Idempotency-Key': uniqueId('k'),
        'Content-Type': 'application/json',
      },
      body: JSON.stringify({ expectedCount: 2, note: 'exactly these' }),
    });
    assert.equal(res.status, 200, await res.clone().text());
    const answer = (await res.json()) as Answer;
    assert.equal(answer.matched, 2);
    assert.equal(answer.progress?.total, 2, 'the batch was given the two refunds listed');
    assert.deepEqual(answer.refunds!.map((r) => r.workflowId).sort(), [...ids].sort());
    assert.ok(
      answer.refunds!.every((r) => r.outcome === 'accepted'),
      JSON.stringify(answer.refunds),
    );
    for (const id of ids) assert.equal((await auditOf(id, answer.requestId)).length, 1, id);
    assert.ok(lateId, 'the late refund was parked');
    assert.deepEqual(await auditOf(lateId, answer.requestId), [], 'the refund that joined later was not signalled');
    await api.client.workflow.getHandle(lateId).terminate('test cleanup');
  });

  it('the same Idempotency-Key with another filter or body is a 409 naming the key, and nothing more is sent', async () => {
    const { ids, filter } = await parkedOrder();
    await countIs('recheck', filter, 2);
    const key = uniqueId('bulk-key');
    const first = await bulk('recheck', filter, { note: 'once' }, { key });
    assert.equal(first.status, 200, await first.clone().text());
    const answer = (await first.json()) as Answer;
    for (const [query, body] of [
      [filter, { note: 'another note' }],
      [`${filter}&needsAttention=false`, { note: 'once' }],
      [filter, { note: 'once', expectedCount: 2 }],
    ] as const) {
      const res = await bulk('recheck', query, body, { key });
      assert.equal(res.status, 409, `${query} ${JSON.stringify(body)}`);
      const problem = await problemOf(res);
      assert.equal(problem.type, '/problems/idempotency-key-reused');
      assert.equal(problem.errors?.[0]?.field, 'header.idempotency-key');
    }
    // The same request again answers the same job.
    const again = await bulk('recheck', filter, { note: 'once' }, { key });
    assert.equal(again.status, 200);
    assert.equal(((await again.json()) as Answer).replayed, true);
    for (const id of ids) {
      assert.equal((await auditOf(id, answer.requestId)).length, 1, `${id}: signalled once`);
      await api.client.workflow.getHandle(id).terminate('test cleanup');
    }
  });
});
