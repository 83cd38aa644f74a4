import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { shutdownWorkers } from '../../workers/worker';
import { RefundStatus } from '../../workflows/refund.contract';
import { waitForState } from '../helpers/harness';
import { until } from '../helpers/processes';
import { createApiHarness, eventually, refundPath, type ApiHarness } from './api-harness';

/**
 * Every read of the API comes from the Temporal server alone (memo, search attributes, history): with every worker
 * stopped, the list, the detail, the export, the repair form and the repair check all answer 200 at once. (A query
 * would wait for a worker and time out.)
 */

let h: ApiHarness;
before(async () => {
  h = await createApiHarness();
});
after(async () => {
  await h?.close();
});

it('with every worker stopped, list, detail, CSV, repair form and repair check answer 200 from the server alone', async () => {
  const parked = await h.startRefund('flat-goodwill-10-usd');
  const done = await h.startRefund('healthy-single-sku');
  await waitForState(parked.handle, (s) => s.status === RefundStatus.AWAITING_REPAIR && s.suggestion !== undefined);
  await done.handle.result();
  // The list is eventually consistent: wait until it shows both as they are before stopping the workers.
  await eventually(async () => {
    const res = await h.operator(`/refunds?orderId=${parked.fixture.bwpOrder.id}`);
    const body = (await res.json()) as { refunds: { status: string }[] };
    return body.refunds[0]?.status === RefundStatus.AWAITING_REPAIR ? true : undefined;
  }, 'the parked refund listed');

  shutdownWorkers(h.workers);
  await until('every worker stopped', async () => h.workers.every((w) => w.getState() === 'STOPPED'), 30_000);

  const timed = async (path: string, init?: Parameters<ApiHarness['operator']>[1]) => {
    const t0 = Date.now();
    const res = await h.operator(path, init);
    return { res, ms: Date.now() - t0 };
  };

  const list = await timed(`/refunds?status=${RefundStatus.AWAITING_REPAIR}&expand=summary&limit=100`);
  assert.equal(list.res.status, 200);
  const page = (await list.res.json()) as {
    refunds: { workflowId: string; summary?: { requested?: { amount: string }; problems: { code: string }[] } }[];
  };
  const row = page.refunds.find((r) => r.workflowId === parked.workflowId);
  assert.ok(row, 'the parked refund is listed');
  assert.equal(row.summary?.requested?.amount, '10.00', "the summary's requested amount, from the memo");
  assert.ok(row.summary?.problems.some((p) => p.code === 'MISSING_ITEM_DETAIL'));

  const detail = await timed(refundPath(parked.workflowId));
  assert.equal(detail.res.status, 200);
  const body = (await detail.res.json()) as {
    status: string;
    problems: unknown[];
    suggestion?: unknown;
    audit: unknown[];
    execution: { status: string };
  };
  assert.equal(body.status, RefundStatus.AWAITING_REPAIR);
  assert.equal(body.execution.status, 'RUNNING');
  assert.ok(body.problems.length > 0 && body.suggestion, 'problems and the suggestion, from the memo');

  const finished = await timed(refundPath(done.workflowId));
  assert.equal(finished.res.status, 200);
  const finishedBody = (await finished.res.json()) as { status: string; refunded?: { amount: string } };
  assert.equal(finishedBody.status, RefundStatus.REFUNDED);
  assert.ok(finishedBody.refunded, 'the finished refund shows what the store refunded');

  const csv = await timed(`/refunds.csv?orderId=${parked.fixture.bwpOrder.id}`);
  assert.equal(csv.res.status, 200);
  const lines = (await csv.res.text()).trim().split('\r\n');
  assert.equal(lines.length, 2, 'a header and the refund');
  assert.match(lines[1]!, /AWAITING_REPAIR/);
  assert.match(lines[1]!, /MISSING_ITEM_DETAIL/);

  const form = await timed(refundPath(parked.workflowId, '/repair'));
  assert.equal(form.res.status, 200, 'the repair form reads the order from the history');
  const formBody = (await form.res.json()) as { lines: { lineItemId: string }[]; waitingForRepair: boolean };
  assert.equal(formBody.waitingForRepair, true);
  assert.ok(formBody.lines.length > 0);

  const line = formBody.lines[0]!;
  const check = await timed(refundPath(parked.workflowId, '/repair/check'), {
    body: { lines: [{ lineItemId: line.lineItemId, ticked: true, quantity: 1, reason: 'Damaged', amount: '10.00' }] },
    as: 'viewer',
  });
  assert.equal(check.res.status, 200);
  const verdict = (await check.res.json()) as { ok: boolean; problems: unknown[] };
  assert.equal(typeof verdict.ok, 'boolean');

  for (const [what, t] of Object.entries({ list, detail, finished, csv, form, check }))
    assert.ok(t.ms < 2_000, `${what} answered in ${t.ms} ms with no worker running`);
});
