import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { type RefundContext, describeOrder, valueOfUnits } from '../../domain/context';
import {
  type Minor,
  add,
  formatDecimal,
  minor,
  mulInt,
  parseDecimal,
  prorate,
  sum,
  toBwpAmount,
} from '../../domain/money';
import { FIXABLE_PROBLEMS, draftRepair, suggestRepair } from '../../domain/suggest';
import { askFromRefund, prepare, validateRefund, validateRepair } from '../../domain/validate';
import { readRefundContext } from '../../domain/schemas/context';
import { type LineSpec, type RefundSpec, type StoreSpec, context, policy, repair } from './fixtures';

const bwpNumber = (cents: number) => toBwpAmount(minor(cents), 'USD').amount;

/** A random order of 1–4 SKUs, some already refunded on the store, with a refund of random shape. */
const orderArb = fc
  .array(
    fc.record({
      qty: fc.integer({ min: 1, max: 5 }),
      priceCents: fc.integer({ min: 1, max: 50_000 }),
      taxPercent: fc.integer({ min: 0, max: 20 }),
      discountPercent: fc.integer({ min: 0, max: 50 }),
      refundedQty: fc.nat({ max: 5 }),
      // Now and then the store line carries another SKU (re-linked since the order).
      relinked: fc.oneof({ weight: 5, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
    }),
    { minLength: 1, maxLength: 4 },
  )
  .chain((specs) =>
    fc.record({
      specs: fc.constant(specs),
      shippingCents: fc.option(fc.integer({ min: 1, max: 2_000 }), { nil: null }),
      shippingRefunded: fc.boolean(),
      allowAppeasement: fc.boolean(),
      // The reason rules park the refund (REASON_RULES_BLOCK) or are advisories (the default).
      reasonRulesBlock: fc.boolean(),
      refund: fc.oneof(
        // A flat amount, as in the goodwill scenario.
        fc.record({ kind: fc.constant('flat' as const), cents: fc.integer({ min: 1, max: 300_000 }) }),
        // Lines with blank or random quantities and an estimate of random size (it may count shipping).
        fc.record({
          kind: fc.constant('lines' as const),
          lines: fc.uniqueArray(
            fc.record({ index: fc.nat({ max: specs.length - 1 }), qty: fc.option(fc.nat({ max: 6 }), { nil: null }) }),
            { selector: (l) => l.index, minLength: 1, maxLength: specs.length },
          ),
          cents: fc.option(fc.integer({ min: 1, max: 300_000 }), { nil: null }),
          // Now and then the estimate is what the lines are worth plus the store's shipping charge (the heuristic
          // that stands for Buy with Prime's unpublished shipping flag).
          withShipping: fc.oneof(
            { weight: 2, arbitrary: fc.constant(false) },
            { weight: 1, arbitrary: fc.constant(true) },
          ),
          reason: fc.constantFrom('RETURN_RECEIVED', 'CHANGED_MIND', null, 'OTHERS'),
        }),
      ),
    }),
  );

type OrderCase = typeof orderArb extends fc.Arbitrary<infer T> ? T : never;

function buildContext(c: OrderCase): RefundContext {
  const lines: LineSpec[] = c.specs.map((s, i) => {
    const price = minor(s.priceCents);
    const gross = mulInt(price, s.qty);
    return {
      id: `L${i + 1}`,
      sku: `SKU-${i + 1}`,
      storeLineId: `sl-${i + 1}`,
      qty: s.qty,
      price: bwpNumber(price),
      tax: bwpNumber(prorate(gross, s.taxPercent, 100)),
      discount: bwpNumber(prorate(gross, s.discountPercent, 100)),
    };
  });
  const refundedLines = c.specs.map((s) => Math.min(s.refundedQty, s.qty));
  const refundedValue = sum(c.specs.map((s, i) => mulInt(minor(s.priceCents), refundedLines[i]!)));
  const store: StoreSpec = {
    // The shipping charge is the store's (Buy with Prime publishes none).
    shipping: c.shippingCents === null ? 0 : bwpNumber(c.shippingCents),
    shippingRefunded: c.shippingRefunded,
    lines: Object.fromEntries(c.specs.map((s, i) => [`L${i + 1}`, { refundedQuantity: refundedLines[i]! }])),
    // A lower bound of what the refunded units were worth: the rules take the largest source.
    refundedTotal: formatDecimal(refundedValue, 'USD'),
  };
  const refund: RefundSpec =
    c.refund.kind === 'flat'
      ? { lines: [], total: bwpNumber(c.refund.cents) }
      : {
          lines: c.refund.lines.map((l) => ({ id: `L${l.index + 1}`, qty: l.qty })),
          total: c.refund.cents === null ? null : bwpNumber(c.refund.cents),
          reason: c.refund.reason,
        };
  const ctx = context({
    lines,
    refunds: [refund],
    store,
    policy: policy({
      allowAppeasement: c.allowAppeasement,
      defaultReason: 'GeneralAdjustment',
      reasonRulesBlock: c.reasonRulesBlock,
    }),
  });
  ctx.storeOrder?.lineItems.forEach((l, i) => {
    if (c.specs[i]!.relinked) l.sku = `OTHER-${i + 1}`;
  });
  if (c.refund.kind === 'lines' && c.refund.withShipping && c.shippingCents !== null) {
    const view = describeOrder(ctx);
    const values = c.refund.lines.map((l) => {
      const lv = view.lines[l.index]!;
      return l.qty === null ? null : valueOfUnits(lv, Math.min(l.qty, lv.remainingQty ?? 0));
    });
    if (values.every((v) => v !== null)) {
      const total = add(sum(values), view.shipping.amount);
      ctx.order.refunds.details[0]!.refundTotal = { totalAmount: toBwpAmount(total, 'USD') };
    }
  }
  return ctx;
}

void describe('properties', () => {
  void test('property: a suggestion never fails validation, never exceeds what remains on a line, and adds up', () => {
    let offered = 0;
    let shipped = 0;
    fc.assert(
      fc.property(orderArb, (c) => {
        const ctx = buildContext(c);
        const { problems } = validateRefund(ctx);
        const prepared = prepare(ctx);
        if (prepared.ok && prepared.value.refund) {
          const asked = askFromRefund(prepared.value, prepared.value.refund);
          if (asked.shippingAsked && (asked.ask?.lines.length ?? 0) > 0) shipped++;
        }
        const suggestion = suggestRepair(ctx, problems);
        if (!suggestion) return;
        offered++;
        const { problems: again, plan } = validateRepair(ctx, suggestion.repair);
        assert.deepEqual(again, []);
        assert.ok(plan);
        const view = describeOrder(ctx);
        let total: Minor = minor(0);
        for (const line of suggestion.repair.lines) {
          const amount = parseDecimal(line.amount, 'USD');
          const lv = view.lines.find((l) => l.lineItemId === line.lineItemId)!;
          assert.ok(amount <= lv.remainingAmount!, `${line.lineItemId}: ${amount} > ${lv.remainingAmount}`);
          total = add(total, amount);
        }
        if (suggestion.repair.shipping) total = add(total, view.shipping.amount);
        assert.equal(formatDecimal(total, 'USD'), suggestion.repair.total);
        assert.equal(plan.report.total, total);
      }),
      { numRuns: 400 },
    );
    assert.ok(offered > 40, `only ${offered} suggestions were offered; the generator is too narrow`);
    assert.ok(shipped > 20, `only ${shipped} refunds asked for lines with shipping; the generator is too narrow`);
  });

  void test('property: when appeasements are allowed, a draft for fixable problems passes validation without the safety net', () => {
    let drafted = 0;
    fc.assert(
      fc.property(orderArb, (c) => {
        const ctx = buildContext({ ...c, allowAppeasement: true });
        const { problems } = validateRefund(ctx);
        if (problems.length === 0 || problems.some((p) => !FIXABLE_PROBLEMS.has(p.code))) return;
        const draft = draftRepair(ctx);
        if (!draft) return;
        drafted++;
        const again = validateRepair(ctx, draft.repair).problems;
        assert.deepEqual(again, [], JSON.stringify({ problems, draft, again }));
      }),
      { numRuns: 400 },
    );
    assert.ok(drafted > 40, `only ${drafted} drafts`);
  });

  void test('property: every plan sends quantity-1 elements, one mode, and a total that is the sum of its lines', () => {
    fc.assert(
      fc.property(
        orderArb,
        fc.array(fc.record({ index: fc.nat({ max: 3 }), qty: fc.nat({ max: 4 }), cents: fc.nat({ max: 30_000 }) }), {
          maxLength: 4,
        }),
        fc.boolean(),
        (c, picks, shipping) => {
          const ctx = buildContext(c);
          const lines = picks.map((p) => ({
            lineItemId: `L${p.index + 1}`,
            ticked: true,
            quantity: p.qty,
            reason: 'CustomerReturn',
            amount: formatDecimal(minor(p.cents), 'USD'),
          }));
          const { problems, plan } = validateRepair(ctx, repair(lines, { shipping }));
          assert.equal(problems.length === 0, plan !== undefined);
          if (!plan) return;
          const body = plan.storeRequest;
          const itemsTotal = sum(plan.report.lines.map((l) => l.amount));
          if (plan.mode === 'appeasement') {
            assert.equal(body.line_items, undefined);
            assert.equal(body.shipping, undefined);
            assert.equal(body.amount, formatDecimal(itemsTotal, 'USD'));
            assert.equal(plan.report.total, itemsTotal);
          } else {
            assert.equal(body.amount, undefined);
            assert.ok((body.line_items ?? []).every((e) => e.quantity === 1));
            const units = plan.report.lines.reduce((n, l) => n + l.quantity, 0);
            assert.equal((body.line_items ?? []).length, units);
          }
          assert.ok(plan.report.total <= describeOrder(ctx).remaining);
        },
      ),
      { numRuns: 300 },
    );
  });

  void test('property: every problem names its field; a repair line’s problem names the part of the line', () => {
    fc.assert(
      fc.property(
        orderArb,
        fc.array(
          fc.record({
            index: fc.nat({ max: 4 }),
            qty: fc.integer({ min: -1, max: 4 }),
            cents: fc.nat({ max: 30_000 }),
          }),
          {
            maxLength: 4,
          },
        ),
        fc.boolean(),
        (c, picks, shipping) => {
          const ctx = buildContext(c);
          for (const p of validateRefund(ctx).problems) assert.ok(p.field.length > 0, JSON.stringify(p));
          const lines = picks.map((p) => ({
            lineItemId: `L${p.index + 1}`,
            ticked: true,
            quantity: p.qty,
            reason: p.cents % 3 === 0 ? '' : 'CustomerReturn',
            amount: formatDecimal(minor(p.cents), 'USD'),
          }));
          for (const p of validateRepair(ctx, repair(lines, { shipping })).problems) {
            assert.ok(p.field.length > 0, JSON.stringify(p));
            if (p.field.startsWith('lines['))
              assert.match(p.field, /^lines\[\d+\]\.(ticked|quantity|reason|amount)$/, JSON.stringify(p));
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  /** Any JSON, read as a context at the boundary (readRefundContext) and validated when it is one. */
  const validateAny = (raw: unknown) => {
    const read = readRefundContext(raw);
    return read.ok ? validateRefund(read.ctx) : { problems: read.problems, plan: undefined };
  };

  void test('property: any JSON read as a context and validated never throws; it returns problems', () => {
    fc.assert(
      fc.property(fc.anything(), (anything) => {
        const result = validateAny(anything);
        assert.ok(result.problems.length > 0);
        assert.ok(!result.problems.some((p) => p.code === 'INTERNAL_ERROR'), JSON.stringify(result.problems));
      }),
    );
    const base = context();
    fc.assert(
      fc.property(fc.jsonValue(), fc.jsonValue(), (order, storeOrder) => {
        const result = validateAny({ ...base, order, storeOrder });
        assert.ok(!result.problems.some((p) => p.code === 'INTERNAL_ERROR'), JSON.stringify(result.problems));
      }),
    );
  });

  void test('property: a real order with any one field replaced by arbitrary JSON, read and validated, never throws', () => {
    const paths = (value: unknown, prefix: (string | number)[] = []): (string | number)[][] =>
      value !== null && typeof value === 'object'
        ? Object.entries(value).flatMap(([k, v]) => {
            const key = Array.isArray(value) ? Number(k) : k;
            return [[...prefix, key], ...paths(v, [...prefix, key])];
          })
        : [];
    const template = context({ refunds: [{ lines: [{ id: 'L1', qty: 2 }], total: 43.18 }] });
    const all = paths(JSON.parse(JSON.stringify(template)) as unknown);
    fc.assert(
      fc.property(fc.constantFrom(...all), fc.jsonValue(), (path, value) => {
        const ctx = JSON.parse(JSON.stringify(template)) as Record<string, unknown>;
        let target: Record<string | number, unknown> = ctx;
        path.slice(0, -1).forEach((k) => (target = target[k] as Record<string | number, unknown>));
        target[path[path.length - 1]!] = value;
        const read = readRefundContext(ctx);
        const result = read.ok ? validateRefund(read.ctx) : { problems: read.problems };
        assert.ok(!result.problems.some((p) => p.code === 'INTERNAL_ERROR'), JSON.stringify(result.problems));
        if (read.ok) suggestRepair(read.ctx, result.problems);
      }),
      { numRuns: 500 },
    );
  });

  void test('property: validateRepair never throws on arbitrary JSON; a bad repair yields problems, not a plan', () => {
    const ctx = context({ refunds: [{ lines: [], total: 10 }] });
    fc.assert(
      fc.property(fc.oneof(fc.anything(), fc.jsonValue()), (input) => {
        const result = validateRepair(ctx, input);
        assert.ok(!result.problems.some((p) => p.code === 'INTERNAL_ERROR'), JSON.stringify(result.problems));
        assert.equal(result.problems.length === 0, result.plan !== undefined);
      }),
    );
    fc.assert(
      fc.property(fc.anything(), fc.anything(), (c, input) => {
        const read = readRefundContext(c);
        const result = read.ok ? validateRepair(read.ctx, input) : { problems: read.problems };
        assert.ok(result.problems.length > 0);
      }),
    );
  });
});
