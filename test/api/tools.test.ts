import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { refundWorkflowId, RefundStatus, stateQuery } from '../../workflows/refund.contract';
import { waitForState } from '../helpers/harness';
import { uniqueId } from '../helpers/temporal';
import { createApiHarness, eventually, OPERATORS, problemOf, type ApiHarness } from './api-harness';

/** Tools for many refunds: start one whose event was lost (POST /refunds), and export the list as CSV. */

interface Started {
  workflowId: string;
  orderId: string;
  refundId: string;
  outcome: string;
}

/** RFC 4180 lines into rows of cells (quoted cells may hold commas, quotes and line breaks). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(cell);
      cell = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
      i++;
    } else cell += c;
  }
  return rows;
}

describe('POST /refunds and GET /refunds.csv', () => {
  let api: ApiHarness;
  before(async () => {
    api = await createApiHarness();
  });
  after(async () => {
    await api?.close();
  });

  it('starts a refund whose event was lost, with the workflow id an event uses; again is idempotent, and the late event joins it', async () => {
    const fixture = await api.seed('healthy-single-sku');
    const input = { orderId: fixture.bwpOrder.id, refundId: fixture.refundId };
    const res = await api.operator('/refunds', { body: input });
    assert.equal(res.status, 201, await res.clone().text());
    const started = (await res.json()) as Started;
    const workflowId = refundWorkflowId(fixture.bwpOrder.id, fixture.refundId);
    assert.deepEqual(started, { workflowId, ...input, outcome: 'started' });
    assert.equal(res.headers.get('location'), `/refunds/${encodeURIComponent(workflowId)}`);
    const again = await api.operator('/refunds', { body: input });
    assert.equal(again.status, 200);
    assert.ok(['joined', 'finished'].includes(((await again.json()) as Started).outcome));
    const late = (await (await api.postEvent(api.eventFor(fixture))).json()) as { refunds: Started[] };
    assert.equal(late.refunds[0]!.workflowId, workflowId);
    assert.notEqual(late.refunds[0]!.outcome, 'started');
    const handle = api.client.workflow.getHandle(workflowId);
    const result = await handle.result();
    assert.equal(result.status, RefundStatus.REFUNDED);
    const { count } = await api.client.workflow.count(`WorkflowId = "${workflowId}"`);
    assert.equal(count, 1, 'one workflow, one refund');
    const description = await handle.describe();
    assert.match((await description.staticDetails()) ?? '', /Started by operator Ada Operator/);
    // The audit trail says who started it, first.
    const { audit } = await handle.query(stateQuery);
    assert.deepEqual([audit[0]?.operator, audit[0]?.action, audit[0]?.accepted], [OPERATORS.operator, 'start', true]);
    assert.equal(audit.filter((a) => a.action === 'start').length, 1);
    // After it finished, asking again starts nothing.
    const done = (await (await api.operator('/refunds', { body: input })).json()) as Started;
    assert.equal(done.outcome, 'finished');
    assert.equal(api.sandbox.state.store.ledger().filter((e) => e.key.order === fixture.storeOrder.id).length, 1);
  });

  it('answers 400 naming the field for a bad id or an unknown key, and starts nothing', async () => {
    const orderId = uniqueId('o');
    for (const [body, field] of [
      [{ orderId, refundId: 'has space' }, 'body.refundId'],
      [{ orderId }, 'body.refundId'],
      [{ orderId, refundId: 'r', businessProduct: 'x' }, 'body.businessProduct'],
      [{ orderId: 'o'.repeat(200), refundId: 'r' }, 'body.orderId'],
    ] as const) {
      const problem = await problemOf(await api.operator('/refunds', { body }));
      assert.equal(problem.status, 400, JSON.stringify(body));
      assert.ok(
        problem.errors?.some((e) => e.field === field),
        `${field} in ${JSON.stringify(problem.errors)}`,
      );
    }
    const { count } = await api.client.workflow.count(`BwpOrderId = "${orderId}"`);
    assert.equal(count, 0);
  });

  it('exports the list as CSV: status, amounts, idempotency keys, problems and times, one line per refund', async () => {
    // One parked for repair, one refunded: the same order id prefix finds them.
    const parked = await api.seed('flat-goodwill-10-usd');
    await api.postEvent(api.eventFor(parked));
    const parkedId = refundWorkflowId(parked.bwpOrder.id, parked.refundId);
    await waitForState(api.client.workflow.getHandle(parkedId), (s) => s.status === RefundStatus.AWAITING_REPAIR);
    const done = await api.seed('healthy-single-sku');
    await api.postEvent(api.eventFor(done));
    const doneId = refundWorkflowId(done.bwpOrder.id, done.refundId);
    await api.client.workflow.getHandle(doneId).result();

    const rowsFor = async (orderId: string, status: string) =>
      eventually(async () => {
        const res = await api.operator(`/refunds.csv?orderId=${orderId}`, { as: 'viewer' });
        assert.equal(res.status, 200);
        assert.match(res.headers.get('content-type') ?? '', /^text\/csv/);
        assert.match(res.headers.get('content-disposition') ?? '', /attachment; filename="refunds-/);
        const rows = parseCsv(await res.text());
        const header = rows[0]!;
        const records = rows.slice(1).map((r) => Object.fromEntries(header.map((h, i) => [h, r[i] ?? ''])));
        return records.length === 1 && records[0]!.status === status ? { header, record: records[0]! } : undefined;
      }, `${orderId} in the export`);

    const { header, record: p } = await rowsFor(parked.bwpOrder.id, 'AWAITING_REPAIR');
    for (const column of [
      'status',
      'requested_amount',
      'refunded_amount',
      'idempotency_keys',
      'problems',
      'started_at',
    ])
      assert.ok(header.includes(column), column);
    assert.equal(p.workflow_id, parkedId);
    assert.equal(p.requested_amount, '10.00');
    assert.equal(p.currency, 'USD');
    assert.match(p.problem_codes!, /MISSING_ITEM_DETAIL/);
    assert.match(p.problems!, /MISSING_ITEM_DETAIL: /);
    assert.ok(Date.parse(p.parked_since!) > 0);
    assert.equal(p.idempotency_keys, '');

    const { record: d } = await rowsFor(done.bwpOrder.id, 'REFUNDED');
    assert.equal(d.refunded_amount, '12.96');
    assert.equal(d.planned_amount, '12.96');
    assert.match(d.idempotency_keys!, /-r1$/);
    assert.equal(d.submission_attempts, '1');
    assert.equal(d.execution_status, 'COMPLETED');
    assert.ok(Date.parse(d.closed_at!) >= Date.parse(d.started_at!));
    await api.client.workflow.getHandle(parkedId).terminate('test cleanup');
  });

  it('keeps a spreadsheet from running an id as a formula', async () => {
    const orderId = `=HYPERLINK(${uniqueId('x')})`.replace(/[()]/g, '');
    const started = (await (await api.operator('/refunds', { body: { orderId, refundId: '+1' } })).json()) as Started;
    assert.equal(started.outcome, 'started');
    const text = await eventually(async () => {
      const res = await api.operator(`/refunds.csv?status=AWAITING_REPAIR,FETCHING&max=50`, { as: 'viewer' });
      const body = await res.text();
      return body.includes(started.workflowId) ? body : undefined;
    }, 'the refund in the export');
    const line = parseCsv(text).find((r) => r[0] === started.workflowId)!;
    assert.equal(line[1], `'${orderId}`);
    assert.equal(line[2], `'+1`);
    await api.client.workflow.getHandle(started.workflowId).terminate('test cleanup');
  });

  it('quotes every text cell, so a `;=1+1` id stays one cell of text in a spreadsheet that splits on `;`', async () => {
    const orderId = uniqueId('semicolon');
    const started = (await (
      await api.operator('/refunds', { body: { orderId, refundId: ';=1+1' } })
    ).json()) as Started;
    assert.equal(started.outcome, 'started');
    const text = await eventually(async () => {
      const res = await api.operator(`/refunds.csv?orderId=${orderId}`, { as: 'viewer' });
      const body = await res.text();
      return body.includes(started.workflowId) ? body : undefined;
    }, 'the refund in the export');
    const [header, line] = text.split('\r\n');
    assert.ok(header!.startsWith('"workflow_id","order_id","refund_id",'), header);
    assert.ok(line!.startsWith(`"${started.workflowId}","${orderId}",";=1+1",`), line);
    assert.equal(parseCsv(text)[1]![2], ';=1+1', 'the id itself, whole');
    // Every cell is quoted text, a bare number or boolean, or empty: nothing a `;` or a tab could split.
    for (const raw of line!.split(/,(?=(?:[^"]*"[^"]*")*[^"]*$)/))
      assert.match(raw, /^(|"(?:[^"]|"")*"|-?\d+(\.\d+)?|true|false)$/, raw);
    await api.client.workflow.getHandle(started.workflowId).terminate('test cleanup');
  });

  it('answers 400 for a bad export filter', async () => {
    const problem = await problemOf(await api.operator('/refunds.csv?max=0&cursor=x', { as: 'viewer' }));
    assert.equal(problem.status, 400);
    const fields = new Set(problem.errors?.map((e) => e.field));
    assert.ok(fields.has('query.max') && fields.has('query.cursor'), [...fields].join());
  });
});
