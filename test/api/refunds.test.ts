import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RepairInput } from '../../domain/schemas/repair';
import { temporal } from '@temporalio/proto';
import { refundWorkflowId, RefundStatus, stateQuery, type RefundWorkflowState } from '../../workflows/refund.contract';
import { refundWorkflow } from '../../workflows';
import { waitForState } from '../helpers/harness';
import { uniqueId } from '../helpers/temporal';
import { createApiHarness, eventually, OPERATORS, problemOf, refundPath, type ApiHarness } from './api-harness';

const EventType = temporal.api.enums.v1.EventType;

interface RefundRow {
  workflowId: string;
  orderId: string;
  refundId: string;
  status: string;
  problemCodes: string[];
  needsAttention: boolean;
  startTime: string;
  summary?: { requested?: { amount: string; currency: string }; problems: { code: string }[]; parkedSince?: string };
}
interface Page {
  refunds: RefundRow[];
  nextCursor?: string;
}
type Detail = Omit<RefundWorkflowState, 'plan'> & { workflowId: string; execution: { status: string } };
/** A plan as the API answers it: amounts are decimal strings. */
interface PlanAnswer {
  plan: { mode: string; report: { currency: string; total: string; lines: { amount: string }[] } };
}
interface RepairFormJson {
  status: string;
  waitingForRepair: boolean;
  currency: string;
  exponent: number;
  requested: { total: string | null; reason: string | null };
  lines: {
    lineItemId: string;
    sku?: string;
    ordered: number | null;
    refunded: number;
    remaining: number | null;
    remainingAmount: string | null;
  }[];
  merchantReasons: string[];
  statusReasons: string[];
  problems: { code: string }[];
  suggestion?: { repair: RepairInput; explanation: string[] };
}

describe('operator API', () => {
  let api: ApiHarness;
  before(async () => {
    api = await createApiHarness();
  });
  after(async () => {
    await api?.close();
  });

  /** Posts the event of a fresh copy of a fixture and waits until its workflow is parked for repair. */
  async function parked(name = 'flat-goodwill-10-usd') {
    const fixture = await api.seed(name);
    const res = await api.postEvent(api.eventFor(fixture));
    assert.equal(res.status, 202);
    const workflowId = refundWorkflowId(fixture.bwpOrder.id, fixture.refundId);
    const state = await waitForState(
      api.client.workflow.getHandle(workflowId),
      (s) => s.status === RefundStatus.AWAITING_REPAIR,
    );
    return { fixture, workflowId, state };
  }

  const json = async <T>(res: Response, status = 200): Promise<T> => {
    const text = await res.text();
    assert.equal(res.status, status, text);
    return JSON.parse(text) as T;
  };

  describe('authentication', () => {
    it('without the operator token, every operator route answers 401 with a problem', async () => {
      for (const [method, path] of [
        ['GET', '/refunds'],
        ['GET', '/refunds/refund:a:b'],
        ['POST', '/refunds/refund:a:b/repair'],
        ['POST', '/refunds/refund:a:b/decline'],
      ] as const) {
        const res = await fetch(`${api.url}${path}`, {
          method,
          headers: { 'Content-Type': 'application/json' },
          body: method === 'POST' ? '{}' : undefined,
        });
        assert.equal(res.status, 401, `${method} ${path}`);
        const problem = await problemOf(res);
        assert.equal(problem.errors?.[0]?.field, 'header.authorization');
        assert.match(res.headers.get('www-authenticate') ?? '', /^Bearer/);
      }
    });

    it('with a wrong key, it answers 401 and says the key is not valid', async () => {
      const res = await fetch(`${api.url}/refunds`, { headers: { Authorization: `Bearer ${api.keys.operator}x` } });
      const problem = await problemOf(res);
      assert.equal(problem.status, 401);
      assert.match(problem.detail, /not valid/);
    });
  });

  describe('GET /refunds', () => {
    it('lists the refunds of an order with their status, problems and start time, from Temporal visibility', async () => {
      const { fixture, workflowId } = await parked();
      const page = await eventually(async () => {
        const p = await json<Page>(await api.operator(`/refunds?orderId=${fixture.bwpOrder.id}`));
        return p.refunds[0]?.status === RefundStatus.AWAITING_REPAIR ? p : undefined;
      }, 'the parked refund in visibility');
      assert.equal(page.refunds.length, 1);
      const row = page.refunds[0]!;
      assert.equal(row.workflowId, workflowId);
      assert.equal(row.orderId, fixture.bwpOrder.id);
      assert.equal(row.refundId, fixture.refundId);
      assert.ok(row.problemCodes.includes('MISSING_ITEM_DETAIL'), row.problemCodes.join());
      assert.equal(row.needsAttention, false);
      assert.ok(Date.parse(row.startTime) > Date.now() - 120_000);
    });

    it('filters by status and problem code, and expands a summary with the requested amount', async () => {
      const { fixture, workflowId } = await parked();
      const page = await eventually(async () => {
        const p = await json<Page>(
          await api.operator(
            `/refunds?status=AWAITING_REPAIR&problemCode=MISSING_ITEM_DETAIL&orderId=${fixture.bwpOrder.id}&expand=summary`,
          ),
        );
        return p.refunds.length === 1 ? p : undefined;
      }, 'the filtered list');
      assert.equal(page.refunds[0]!.workflowId, workflowId);
      assert.deepEqual(page.refunds[0]!.summary?.requested, { amount: '10.00', currency: 'USD' });
      assert.ok(page.refunds[0]!.summary?.parkedSince);
      const none = await json<Page>(
        await api.operator(`/refunds?status=REFUNDED,DECLINED&orderId=${fixture.bwpOrder.id}`),
      );
      assert.equal(none.refunds.length, 0);
      const otherProblem = await json<Page>(
        await api.operator(`/refunds?problemCode=CURRENCY_MISMATCH&orderId=${fixture.bwpOrder.id}`),
      );
      assert.equal(otherProblem.refunds.length, 0);
    });

    it('pages with limit and an opaque cursor until the last page', async () => {
      // Three refunds of one order, announced in one event (two of them unknown to BwP: they park with a problem).
      const fixture = await api.seed('flat-goodwill-10-usd');
      const event = api.eventFor(fixture);
      const bp = fixture.businessProductId;
      event.resources = [
        event.resources[0]!,
        ...['r-extra-1', 'r-extra-2'].map((r) => `businessProduct/${bp}/order/${fixture.bwpOrder.id}/refund/${r}`),
      ];
      assert.equal((await api.postEvent(event)).status, 202);
      const orderId = fixture.bwpOrder.id;
      await eventually(async () => {
        const p = await json<Page>(await api.operator(`/refunds?orderId=${orderId}&limit=100`));
        return p.refunds.length === 3 ? p : undefined;
      }, 'three refunds in visibility');
      const first = await json<Page>(await api.operator(`/refunds?orderId=${orderId}&limit=2`));
      assert.equal(first.refunds.length, 2);
      assert.ok(first.nextCursor, 'a cursor for the next page');
      const second = await json<Page>(
        await api.operator(`/refunds?orderId=${orderId}&limit=2&cursor=${first.nextCursor}`),
      );
      assert.equal(second.refunds.length, 1);
      assert.equal(second.nextCursor, undefined);
      // A cursor only works with the filters it was given out for.
      const moved = await problemOf(
        await api.operator(`/refunds?orderId=${orderId}&limit=2&status=AWAITING_REPAIR&cursor=${first.nextCursor}`),
      );
      assert.equal(moved.status, 400);
      assert.equal(moved.errors?.[0]?.field, 'query.cursor');
      const ids = new Set([...first.refunds, ...second.refunds].map((r) => r.refundId));
      assert.deepEqual(ids, new Set([fixture.refundId, 'r-extra-1', 'r-extra-2']));
      for (const r of ['r-extra-1', 'r-extra-2'])
        await api.client.workflow.getHandle(refundWorkflowId(orderId, r)).terminate('test cleanup');
    });

    it('answers 400 naming each bad filter', async () => {
      const problem = await problemOf(
        await api.operator('/refunds?status=STUCK&limit=0&needsAttention=maybe&orderId=a"b'),
      );
      assert.equal(problem.status, 400);
      const fields = new Set(problem.errors?.map((e) => e.field));
      for (const f of ['query.status.0', 'query.limit', 'query.needsAttention', 'query.orderId'])
        assert.ok(fields.has(f), `${f} in ${[...fields].join()}`);
      const unknown = await problemOf(await api.operator('/refunds?colour=red'));
      assert.ok(unknown.errors?.some((e) => e.field === 'query.colour' && /not a known field/.test(e.message)));
    });

    it('answers 400 for a cursor it did not give out', async () => {
      for (const cursor of ['bm90LWEtdG9rZW4', 'bm90LWEtdG9rZW4.AAAAAAAAAAAAAAAA']) {
        const problem = await problemOf(await api.operator(`/refunds?cursor=${cursor}`));
        assert.equal(problem.status, 400);
        assert.equal(problem.errors?.[0]?.field, 'query.cursor');
      }
    });
  });

  describe('GET /refunds/:id', () => {
    it('answers the state: status, problems, suggestion, attempts and audit trail', async () => {
      const { workflowId, fixture } = await parked();
      const detail = await json<Detail>(await api.operator(refundPath(workflowId)));
      assert.equal(detail.workflowId, workflowId);
      assert.equal(detail.execution.status, 'RUNNING');
      assert.equal(detail.status, RefundStatus.AWAITING_REPAIR);
      assert.equal(detail.refundId, fixture.refundId);
      assert.ok(detail.problems.some((p) => p.code === 'MISSING_ITEM_DETAIL'));
      assert.ok(detail.suggestion, 'a suggested repair');
      assert.deepEqual(detail.attempts, []);
      assert.deepEqual(detail.audit, []);
    });

    it('answers 404 with a problem for an unknown refund', async () => {
      const res = await api.operator(refundPath(`refund:${uniqueId('nope')}:r1`));
      assert.equal(res.status, 404);
      const problem = await problemOf(res);
      assert.equal(problem.type, '/problems/not-found');
    });
  });

  describe('GET /refunds/:id/repair and POST /refunds/:id/repair/check', () => {
    it('shows each SKU with ordered, refunded and remaining quantity and amount, the reasons and the suggestion', async () => {
      const { workflowId } = await parked();
      const form = await json<RepairFormJson>(await api.operator(refundPath(workflowId, '/repair')));
      assert.equal(form.waitingForRepair, true);
      assert.equal(form.currency, 'USD');
      assert.equal(
        form.exponent,
        2,
        "the currency's decimal places, so a client adds amounts without a table of its own",
      );
      assert.equal(form.requested.total, '10.00');
      assert.deepEqual(
        form.lines.map((l) => [l.sku, l.ordered, l.refunded, l.remaining, l.remainingAmount]),
        [
          ['SOCKS-TRAIL-M', 1, 0, 1, '12.96'],
          ['BOTTLE-500', 1, 0, 1, '24.30'],
          ['HEADLAMP-300', 1, 0, 1, '43.20'],
        ],
      );
      assert.ok(form.merchantReasons.includes('GeneralAdjustment'));
      assert.ok(form.statusReasons.includes('FRAUDULENT_RETURN_ATTEMPT'));
      assert.equal(form.suggestion?.repair.total, '10.00');
      assert.equal(form.suggestion?.repair.lines.length, 3);
    });

    it('checks a repair with the workflow’s rules: problems for a bad one, none (and the plan) for the suggestion', async () => {
      const { workflowId } = await parked();
      const form = await json<RepairFormJson>(await api.operator(refundPath(workflowId, '/repair')));
      const bad: RepairInput = {
        lines: [{ lineItemId: 'bwp-line-socks', ticked: true, quantity: 0, reason: 'NotAReason', amount: '99.00' }],
        total: '10.00',
      };
      type Check = {
        ok: boolean;
        problems: { code: string; field?: string }[];
        advisories?: { code: string; field?: string }[];
      };
      const badCheck = await json<Check>(await api.operator(refundPath(workflowId, '/repair/check'), { body: bad }));
      assert.equal(badCheck.ok, false);
      // Every finding names the field it is about, so the page never guesses it from the code. The unknown reason is an
      // advisory (REASON_RULES_BLOCK is off): recorded, it stops nothing.
      assert.deepEqual(
        (badCheck.advisories ?? []).filter((p) => p.code === 'REASON_UNKNOWN').map((p) => p.field),
        ['lines[0].reason'],
      );
      assert.ok(
        [...badCheck.problems, ...(badCheck.advisories ?? [])].every(
          (p) => typeof p.field === 'string' && p.field !== '',
        ),
        JSON.stringify(badCheck),
      );
      const codes = badCheck.problems.map((p) => p.code);
      assert.ok(!codes.includes('REASON_UNKNOWN'), codes.join());
      assert.ok(
        codes.includes('AMOUNT_EXCEEDS_LINE_REMAINING') || codes.includes('TOTALS_DO_NOT_ADD_UP'),
        codes.join(),
      );
      const good = await json<{ ok: boolean; problems: unknown[]; plan?: PlanAnswer['plan'] }>(
        await api.operator(refundPath(workflowId, '/repair/check'), { body: form.suggestion!.repair }),
      );
      assert.deepEqual(good.problems, []);
      assert.equal(good.ok, true);
      assert.equal(good.plan?.report.total, '10.00');
    });
  });

  describe('POST /refunds/:id/repair', () => {
    it('when a field is misspelt (totl for total), it answers 400 naming that key and changes nothing', async () => {
      const { workflowId } = await parked();
      const form = await json<RepairFormJson>(await api.operator(refundPath(workflowId, '/repair')));
      const { total, ...rest } = form.suggestion!.repair;
      for (const path of ['/repair', '/repair/check']) {
        const problem = await problemOf(
          await api.operator(refundPath(workflowId, path), { body: { ...rest, totl: total } }),
        );
        assert.equal(problem.status, 400, path);
        assert.deepEqual(
          problem.errors?.map((e) => [e.field, e.message]),
          [['body.totl', 'is not a known field']],
        );
      }
      const lineTypo = await problemOf(
        await api.operator(refundPath(workflowId, '/repair'), {
          body: { ...form.suggestion!.repair, lines: [{ ...form.suggestion!.repair.lines[0], amout: '1.00' }] },
        }),
      );
      assert.ok(
        lineTypo.errors?.some((e) => e.field === 'body.lines.0.amout'),
        JSON.stringify(lineTypo.errors),
      );
      const detail = await json<Detail>(await api.operator(refundPath(workflowId)));
      assert.equal(detail.status, RefundStatus.AWAITING_REPAIR);
    });

    it('the repair check has the repair’s caps: a 250 KB amount is a 400 naming the field, not parsed or echoed', async () => {
      const { workflowId } = await parked();
      const res = await api.operator(refundPath(workflowId, '/repair/check'), {
        body: {
          lines: [
            { lineItemId: 'bwp-line-socks', ticked: true, quantity: 0, reason: 'Other', amount: '9'.repeat(250_000) },
          ],
        },
        as: 'viewer',
      });
      const text = await res.text();
      assert.equal(res.status, 400, text.slice(0, 500));
      assert.ok(text.length < 5_000, 'the amount is not echoed');
      const problem = JSON.parse(text) as { errors?: { field: string }[] };
      assert.deepEqual(
        problem.errors?.map((e) => e.field),
        ['body.lines.0.amount'],
      );
      // A value that is merely wrong (not over a cap) is still answered as a problem, as the repair would be.
      const wrong = await json<{ ok: boolean; problems: { field?: string }[] }>(
        await api.operator(refundPath(workflowId, '/repair/check'), {
          body: { lines: [{ lineItemId: 'bwp-line-socks', ticked: true, quantity: 0, amount: '1,00' }] },
          as: 'viewer',
        }),
      );
      assert.equal(wrong.ok, false);
    });

    it('caps decimal strings: a 1,000-digit amount is a 400 naming the field, not work for the server', async () => {
      const { workflowId } = await parked();
      const problem = await problemOf(
        await api.operator(refundPath(workflowId, '/repair'), {
          body: {
            lines: [
              { lineItemId: 'bwp-line-socks', ticked: true, quantity: 0, reason: 'Other', amount: '9'.repeat(1000) },
            ],
            total: '1'.repeat(30),
          },
        }),
      );
      assert.equal(problem.status, 400);
      const fields = new Set(problem.errors?.map((e) => e.field));
      assert.ok(fields.has('body.lines.0.amount') && fields.has('body.total'), [...fields].join());
    });

    it('when the body does not parse as a repair, it answers 400 naming each field', async () => {
      const { workflowId } = await parked();
      const problem = await problemOf(
        await api.operator(refundPath(workflowId, '/repair'), {
          body: {
            lines: [{ lineItemId: 'bwp-line-socks', ticked: 'yes', quantity: -1, reason: 'Other', amount: '1,00' }],
          },
        }),
      );
      assert.equal(problem.status, 400);
      const fields = new Set(problem.errors?.map((e) => e.field));
      for (const f of ['body.lines.0.ticked', 'body.lines.0.quantity', 'body.lines.0.amount'])
        assert.ok(fields.has(f), `${f} in ${[...fields].join()}`);
    });

    it('when the JSON is malformed, it answers 400 malformed-json', async () => {
      const { workflowId } = await parked();
      const problem = await problemOf(await api.operator(refundPath(workflowId, '/repair'), { raw: '{"lines": [}' }));
      assert.equal(problem.status, 400);
      assert.equal(problem.type, '/problems/malformed-json');
    });

    it('when the repair breaks a rule, the workflow rejects it: 422 with its problems, and the refund stays parked', async () => {
      const { workflowId } = await parked();
      const res = await api.operator(refundPath(workflowId, '/repair'), {
        body: {
          lines: [
            { lineItemId: 'bwp-line-socks', ticked: true, quantity: 0, reason: 'GeneralAdjustment', amount: '50.00' },
          ],
          total: '50.00',
        } satisfies RepairInput,
      });
      assert.equal(res.status, 422);
      const problem = await problemOf(res);
      assert.equal(problem.type, '/problems/invalid-repair');
      assert.ok(
        problem.problems?.some((p) => p.code === 'AMOUNT_EXCEEDS_LINE_REMAINING'),
        JSON.stringify(problem.problems),
      );
      assert.ok(problem.errors?.some((e) => e.code === 'AMOUNT_EXCEEDS_LINE_REMAINING' && e.field.startsWith('body.')));
      const detail = await json<Detail>(await api.operator(refundPath(workflowId)));
      assert.equal(detail.status, RefundStatus.AWAITING_REPAIR);
    });

    it('accepting the suggestion as is answers 200 with the plan, completes the refund, and records the operator', async () => {
      const { workflowId } = await parked();
      // An X-Operator header, which anyone could set, changes nothing: the audit names the key's owner.
      const res = await api.operator(refundPath(workflowId, '/repair'), {
        body: { acceptSuggestion: true },
        headers: { 'X-Operator': 'Someone Else', 'Idempotency-Key': `accept-${workflowId}` },
      });
      const accepted = await json<PlanAnswer & { revision: number }>(res);
      assert.equal(accepted.revision, 1);
      // Amounts cross the API as decimal strings, as everywhere else on it.
      assert.equal(accepted.plan.report.total, '10.00');
      assert.equal(accepted.plan.report.lines.length, 3);
      assert.ok(
        accepted.plan.report.lines.every((l) => /^\d+\.\d{2}$/.test(l.amount)),
        JSON.stringify(accepted.plan),
      );
      const result = await api.client.workflow.getHandle(workflowId).result();
      assert.equal(result.status, RefundStatus.REFUNDED);
      const detail = await json<Detail & PlanAnswer>(await api.operator(refundPath(workflowId)));
      assert.equal(detail.execution.status, 'COMPLETED');
      assert.equal(detail.plan.report.total, '10.00', 'the state’s plan too');
      assert.deepEqual(
        detail.audit.map((a) => [a.operator, a.action, a.accepted]),
        [[OPERATORS.operator, 'acceptSuggestion', true]],
      );
      // Now it is not waiting any more: 409.
      const again = await api.operator(refundPath(workflowId, '/repair'), { body: { acceptSuggestion: true } });
      assert.equal(again.status, 409);
      assert.equal((await problemOf(again)).type, '/problems/not-allowed');
    });

    it('a repair sent twice with the same Idempotency-Key is applied once', async () => {
      const { workflowId } = await parked();
      const form = await json<RepairFormJson>(await api.operator(refundPath(workflowId, '/repair')));
      const send = () =>
        api.operator(refundPath(workflowId, '/repair'), {
          body: form.suggestion!.repair,
          headers: { 'Idempotency-Key': `same-${workflowId}` },
        });
      const [a, b] = await Promise.all([send(), send()]);
      assert.equal(a.status, 200);
      assert.equal(b.status, 200);
      await api.client.workflow.getHandle(workflowId).result();
      const detail = await json<Detail>(await api.operator(refundPath(workflowId)));
      assert.equal(detail.audit.filter((e) => e.action === 'repair').length, 1);
      assert.equal(detail.attempts.length, 1);
    });

    it('answers 404 for an unknown refund', async () => {
      const res = await api.operator(refundPath(`refund:${uniqueId('nope')}:r`, '/repair'), {
        body: { acceptSuggestion: true },
      });
      assert.equal(res.status, 404);
    });
  });

  describe('decline, resolve, cancel', () => {
    it('decline with a status reason reports it and ends DECLINED; a second decline is 409', async () => {
      const { workflowId } = await parked();
      const res = await api.operator(refundPath(workflowId, '/decline'), {
        body: { statusReason: 'FRAUDULENT_RETURN_ATTEMPT', note: 'seen before' },
        as: 'admin',
      });
      const body = await json<{ finished: boolean; state: Detail }>(res);
      assert.equal(body.finished, true);
      assert.equal(body.state.status, RefundStatus.DECLINED);
      assert.equal(body.state.result?.statusReason, 'FRAUDULENT_RETURN_ATTEMPT');
      assert.deepEqual(body.state.audit.at(-1)?.operator, OPERATORS.admin);
      const again = await api.operator(refundPath(workflowId, '/decline'), { body: { statusReason: 'OTHERS' } });
      assert.equal(again.status, 409);
    });

    it('decline without a valid status reason is 400 naming body.statusReason', async () => {
      const { workflowId } = await parked();
      const problem = await problemOf(
        await api.operator(refundPath(workflowId, '/decline'), { body: { statusReason: 'BECAUSE' } }),
      );
      assert.equal(problem.status, 400);
      assert.equal(problem.errors?.[0]?.field, 'body.statusReason');
    });

    it('resolve needs a note (400 naming body.note), then ends RESOLVED_ELSEWHERE', async () => {
      const { workflowId } = await parked();
      const problem = await problemOf(await api.operator(refundPath(workflowId, '/resolve'), { body: { note: '  ' } }));
      assert.equal(problem.errors?.[0]?.field, 'body.note');
      const body = await json<{ state: Detail }>(
        await api.operator(refundPath(workflowId, '/resolve'), { body: { note: 'refunded by phone' } }),
      );
      assert.equal(body.state.status, RefundStatus.RESOLVED_ELSEWHERE);
    });

    it('cancel (admins only) works without a body and ends CANCELLED', async () => {
      const { workflowId } = await parked();
      const res = await fetch(`${api.url}${refundPath(workflowId, '/cancel')}`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${api.keys.admin}` },
      });
      const body = await json<{ state: Detail }>(res);
      assert.equal(body.state.status, RefundStatus.CANCELLED);
      assert.equal(body.state.audit.at(-1)?.operator, OPERATORS.admin);
    });
  });

  describe("this deployment's refunds only, and Idempotency-Keys bound to their request", () => {
    it('answers 404 for a workflow of another type or of another task queue, and sends it nothing', async () => {
      const otherType = await api.client.workflow.start('notARefundWorkflow', {
        workflowId: refundWorkflowId(uniqueId('other-type'), 'r'),
        taskQueue: api.taskQueue,
      });
      const otherQueue = await api.client.workflow.start(refundWorkflow, {
        workflowId: refundWorkflowId(uniqueId('other-queue'), 'r'),
        taskQueue: uniqueId('another-deployment'),
        args: [{ orderId: 'o', refundId: 'r' }],
      });
      try {
        for (const handle of [otherType, otherQueue]) {
          for (const [path, as, body] of [
            ['', 'viewer', undefined],
            ['/repair', 'viewer', undefined],
            ['/repair/check', 'viewer', { lines: [] }],
            ['/repair', 'operator', { acceptSuggestion: true }],
            ['/accept-suggestion', 'operator', {}],
            ['/decline', 'operator', { statusReason: 'OTHERS' }],
            ['/resolve', 'operator', { note: 'elsewhere' }],
            ['/cancel', 'admin', {}],
            ['/recheck', 'operator', {}],
            ['/resubmit-verified', 'admin', { verifiedNoMoneyMoved: true, note: 'looked on the store' }],
          ] as const) {
            const res = await api.operator(refundPath(handle.workflowId, path), {
              as,
              ...(body === undefined ? {} : { body }),
            });
            assert.equal(res.status, 404, `${handle.workflowId}${path}: ${res.status}`);
            assert.equal((await problemOf(res)).type, '/problems/not-found');
          }
          // Nothing reached it: no signal, no update in its history.
          const events = (await handle.fetchHistory()).events ?? [];
          const sent = events.filter((e) => /SIGNALED|UPDATE/.test(String(EventType[e.eventType ?? 0])));
          assert.deepEqual(sent, [], handle.workflowId);
        }
      } finally {
        for (const handle of [otherType, otherQueue]) await handle.terminate('test cleanup').catch(() => undefined);
      }
    });

    it('recheck with an Idempotency-Key, then an admin cancel with the same key: 409 naming the key, and nothing is cancelled', async () => {
      const { workflowId } = await parked();
      const key = uniqueId('k1');
      const recheck = () =>
        api.operator(refundPath(workflowId, '/recheck'), { body: {}, headers: { 'Idempotency-Key': key } });
      assert.equal((await recheck()).status, 202);
      const cancel = await api.operator(refundPath(workflowId, '/cancel'), {
        as: 'admin',
        body: {},
        headers: { 'Idempotency-Key': key },
      });
      assert.equal(cancel.status, 409, await cancel.clone().text());
      const problem = await problemOf(cancel);
      assert.equal(problem.type, '/problems/idempotency-key-reused');
      assert.equal(problem.errors?.[0]?.field, 'header.idempotency-key');
      // The same request again is answered as the first, and recorded once.
      assert.equal((await recheck()).status, 202);
      const state = await waitForState(
        api.client.workflow.getHandle(workflowId),
        (s) => s.status === RefundStatus.AWAITING_REPAIR,
      );
      assert.deepEqual(
        state.audit.filter((a) => a.via !== 'workflow').map((a) => [a.action, a.operator, a.requestId]),
        [['recheck', OPERATORS.operator, key]],
      );
      const detail = await json<Detail>(await api.operator(refundPath(workflowId)));
      assert.equal(detail.execution.status, 'RUNNING');
      assert.equal(detail.status, RefundStatus.AWAITING_REPAIR);
    });

    it('the same Idempotency-Key with another body on the same route is a 409, and only the first is recorded (the workflow refuses it)', async () => {
      const { workflowId } = await parked();
      const key = uniqueId('k2');
      const recheck = (note: string) =>
        api.operator(refundPath(workflowId, '/recheck'), { body: { note }, headers: { 'Idempotency-Key': key } });
      assert.equal((await recheck('first')).status, 202);
      const second = await recheck('second');
      assert.equal(second.status, 409, await second.clone().text());
      const problem = await problemOf(second);
      assert.equal(problem.type, '/problems/idempotency-key-reused');
      assert.equal(problem.errors?.[0]?.field, 'header.idempotency-key');
      const state = await api.client.workflow.getHandle(workflowId).query(stateQuery);
      assert.deepEqual(
        state.audit.filter((a) => a.requestId === key && a.via !== 'workflow').map((a) => a.detail),
        [{ note: 'first' }],
      );
    });
  });

  describe('accept-suggestion, recheck, resubmit-verified', () => {
    it('POST /accept-suggestion answers 200 with the plan and the refund completes', async () => {
      const { workflowId } = await parked();
      const res = await api.operator(refundPath(workflowId, '/accept-suggestion'), { body: { note: 'fine' } });
      assert.equal(res.status, 200);
      const accepted = await json<PlanAnswer & { action: string }>(res);
      assert.equal(accepted.action, 'acceptSuggestion');
      assert.equal(accepted.plan.report.total, '10.00');
      assert.equal((await api.client.workflow.getHandle(workflowId).result()).status, RefundStatus.REFUNDED);
      const detail = await json<Detail>(await api.operator(refundPath(workflowId)));
      assert.deepEqual(
        detail.audit.map((a) => [a.operator, a.action, a.accepted]),
        [[OPERATORS.operator, 'acceptSuggestion', true]],
        'the operator is the credential’s',
      );
    });

    it('roles: a viewer may not accept, re-check or resubmit; an operator may not resubmit-verified (admins only)', async () => {
      const { workflowId } = await parked();
      for (const path of ['/accept-suggestion', '/recheck']) {
        const res = await api.operator(refundPath(workflowId, path), { body: {}, as: 'viewer' });
        assert.equal(res.status, 403, path);
      }
      const res = await api.operator(refundPath(workflowId, '/resubmit-verified'), {
        body: { verifiedNoMoneyMoved: true, note: 'looked on the store' },
      });
      assert.equal(res.status, 403);
      assert.equal((await problemOf(res)).type, '/problems/forbidden');
    });

    it('strict bodies: an unknown key in recheck or accept-suggestion is a 400 naming it', async () => {
      const { workflowId } = await parked();
      for (const path of ['/accept-suggestion', '/recheck']) {
        const problem = await problemOf(await api.operator(refundPath(workflowId, path), { body: { nots: 'x' } }));
        assert.equal(problem.status, 400, path);
        assert.ok(JSON.stringify(problem.errors).includes('nots'), JSON.stringify(problem.errors));
      }
    });

    it('POST /recheck is recorded at once (202) and the repair form lists attention reasons', async () => {
      const { workflowId } = await parked();
      const res = await api.operator(refundPath(workflowId, '/recheck'), { method: 'POST' });
      assert.equal(res.status, 202);
      assert.equal(((await res.json()) as { accepted: boolean }).accepted, true);
      const detail = await json<Detail>(await api.operator(refundPath(workflowId)));
      assert.deepEqual(
        detail.audit.filter((a) => a.action === 'recheck').map((a) => a.operator),
        [OPERATORS.operator],
      );
      const form = await json<{ attentions: unknown[] }>(await api.operator(refundPath(workflowId, '/repair')));
      assert.deepEqual(form.attentions, []);
    });

    it('POST /resubmit-verified needs the explicit statement (400 naming the field), and is 409 with no key in doubt', async () => {
      const { workflowId } = await parked();
      const bad = await problemOf(
        await api.operator(refundPath(workflowId, '/resubmit-verified'), { body: { note: 'looked' }, as: 'admin' }),
      );
      assert.equal(bad.status, 400);
      assert.equal(bad.errors?.[0]?.field, 'body.verifiedNoMoneyMoved');
      const refused = await api.operator(refundPath(workflowId, '/resubmit-verified'), {
        body: { verifiedNoMoneyMoved: true, note: 'looked on the store' },
        as: 'admin',
      });
      assert.equal(refused.status, 409);
      const problem = await problemOf(refused);
      assert.ok(problem.problems?.some((p) => p.code === 'ACTION_NOT_ALLOWED'));
    });
  });
});
