import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  ALIAS_EXTERNAL_ITEM_ID,
  ALIAS_SKU,
  BWP_REFUND_REQUEST_REASONS,
  discountAmounts,
  taxAmount,
  type BwpAmount,
} from '../../domain/schemas/bwp';
import { type Sandbox } from '../../sandbox';
import { fixtureNames, loadAllFixtures, loadFixture, uniqueFixture, type Fixture } from '../../sandbox/fixtures';
import { adminGet, adminPost, getStoreOrder, gql, ORDER_BY_ID, postRefund, startSandbox } from './helpers';

/** BwP JSON number -> integer cents (fixtures are USD/CAD, 2 decimals). */
const cents = (a: BwpAmount | null | undefined) => Math.round((a?.amount ?? 0) * 100);
/** Store decimal string -> integer cents. */
const storeCents = (s: string) => {
  const [whole, fraction = ''] = s.split('.');
  return Number(whole) * 100 + Number(fraction.padEnd(2, '0'));
};

type Line = Fixture['bwpOrder']['lineItems'][number];
/** Fixture JSON edited on purpose into shapes the schemas refuse. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = any;

function storeLineOf(f: Fixture, bwpLineId: string) {
  const line = f.bwpOrder.lineItems.find((l) => l.id === bwpLineId);
  const storeId = line?.aliases.find((a) => a.aliasType === ALIAS_EXTERNAL_ITEM_ID)?.aliasId;
  return { line, storeLine: f.storeOrder.lineItems.find((l) => l.id === storeId) };
}

/** No SKU is published on a line's product: the SKU is the line's SKU alias. */
const skuOf = (line: Line | undefined) => line?.aliases.find((a) => a.aliasType === ALIAS_SKU)?.aliasId;
const discountOf = (line: Line) => discountAmounts(line.discounts).reduce((s, d) => s + cents(d), 0);
const taxOf = (line: Line) => cents(taxAmount(line.taxes));

/**
 * The order's grand total, derived (Buy with Prime publishes no order total nor shipping charge): each line's price ×
 * quantity − its discounts + its tax (a blank BwP price: the store's unit price × quantity), − the order-level
 * discounts, + the shipping charge, which only the store order carries.
 */
function grandTotal(f: Fixture): number {
  let goods = 0;
  for (const line of f.bwpOrder.lineItems) {
    const qty = line.amount.value;
    const { storeLine } = storeLineOf(f, line.id);
    goods += line.product.price
      ? cents(line.product.price) * qty - discountOf(line) + taxOf(line)
      : storeCents(storeLine!.unitPrice) * qty;
  }
  const orderDiscounts = discountAmounts(f.bwpOrder.discounts).reduce((s, d) => s + cents(d), 0);
  return goods - orderDiscounts + storeCents(f.storeOrder.shipping.amount);
}

/** What is wrong with a fixture's refund, seen the way the service's validation would see it. */
function problemsOf(f: Fixture): string[] {
  const problems = new Set<string>();
  const refund = f.bwpOrder.refunds.details.find((r) => r.id === f.refundId)!;
  const lines = refund.refundFor?.orderLineItems ?? [];
  const total = cents(refund.refundTotal?.totalAmount);
  const shippingCharge = storeCents(f.storeOrder.shipping.amount);
  let linesValue = 0;
  for (const refunded of lines) {
    const { line, storeLine } = storeLineOf(f, refunded.lineItem.id);
    const qty = refunded.amount?.value;
    if (qty == null) problems.add('BLANK_QUANTITY');
    if (!line?.product.price) problems.add('BLANK_PRICE');
    if (!storeLine) {
      problems.add('LINE_NOT_IN_STORE');
      continue;
    }
    if (storeLine.sku !== skuOf(line)) problems.add('SKU_RELINKED');
    if ((qty ?? 0) > storeLine.quantity - storeLine.refundedQuantity) problems.add('NOT_ENOUGH_LEFT');
    linesValue += (qty ?? 0) * storeCents(storeLine.unitPrice);
  }
  // No shipping flag is published on a refund: shipping is asked when the estimate is the lines plus the charge.
  const shipping = shippingCharge > 0 && total === linesValue + shippingCharge;
  if (lines.length === 0 && !shipping) problems.add('NO_LINES');
  if (lines.length >= 2 && lines.every((l) => l.amount != null) && total !== linesValue && !shipping) {
    problems.add('LUMP_SUM');
  }
  if (total > grandTotal(f)) problems.add('ABOVE_ORDER');
  if (shipping && f.storeOrder.shipping.refunded) problems.add('SHIPPING_REFUNDED');
  const refundedUnits =
    f.storeOrder.lineItems.reduce((sum, l) => sum + l.refundedQuantity * storeCents(l.unitPrice), 0) +
    (f.storeOrder.shipping.refunded ? shippingCharge : 0);
  if (storeCents(f.storeOrder.refundedTotal) > refundedUnits) problems.add('TAX_REFUNDED');
  if (refund.refundRequestReason == null) problems.add('REASON_BLANK');
  else if (!(BWP_REFUND_REQUEST_REASONS as readonly string[]).includes(refund.refundRequestReason)) {
    problems.add('REASON_UNKNOWN');
  }
  if (f.storeOrder.currency !== refund.refundTotal?.totalAmount?.currencyCode) problems.add('CURRENCY_MISMATCH');
  const preorders = new Set(f.storeOrder.lineItems.filter((l) => l.kind === 'preorder').map((l) => l.preorderId));
  if (preorders.size > 1) problems.add('MULTIPLE_PREORDERS');
  else if (preorders.size === 1 && f.storeOrder.lineItems.some((l) => l.kind === 'checkout')) {
    problems.add('MIXED_PREORDER');
  }
  return [...problems].sort();
}

/** The grand totals the fixtures had when BwP orders still carried a (made-up) total: the money must not move. */
const GRAND_TOTALS: Record<string, number> = {
  'amount-above-order': 18.95,
  'blank-price': 43.25,
  'blank-quantity': 56.21,
  'currency-mismatch': 18.95,
  'flat-goodwill-10-usd': 86.45,
  'healthy-multi-sku': 99.41,
  'healthy-partial-qty': 93.47,
  'healthy-single-sku': 18.95,
  'line-already-refunded': 43.25,
  'line-removed-from-store': 43.25,
  'mixed-preorder-checkout': 62.15,
  'multiple-preorders': 62.15,
  'partial-multi-sku-lump-sum': 86.45,
  'reason-blank': 18.95,
  'reason-unknown': 18.95,
  'reference-example': 10,
  'shipping-already-refunded': 18.95,
  'sku-relinked': 43.25,
  'tax-already-refunded': 31.91,
};

const EXPECTED: Record<string, string[]> = {
  'healthy-single-sku': [],
  'healthy-multi-sku': [],
  'healthy-partial-qty': [],
  'reference-example': [],
  'flat-goodwill-10-usd': ['NO_LINES'],
  'blank-quantity': ['BLANK_QUANTITY'],
  'blank-price': ['BLANK_PRICE'],
  'line-removed-from-store': ['LINE_NOT_IN_STORE'],
  'partial-multi-sku-lump-sum': ['LUMP_SUM'],
  'amount-above-order': ['ABOVE_ORDER'],
  'line-already-refunded': ['NOT_ENOUGH_LEFT'],
  'shipping-already-refunded': ['SHIPPING_REFUNDED'],
  'tax-already-refunded': ['TAX_REFUNDED'],
  'reason-blank': ['REASON_BLANK'],
  'reason-unknown': ['REASON_UNKNOWN'],
  'currency-mismatch': ['CURRENCY_MISMATCH'],
  'mixed-preorder-checkout': ['MIXED_PREORDER'],
  'multiple-preorders': ['MULTIPLE_PREORDERS'],
  'sku-relinked': ['SKU_RELINKED'],
};

void describe('fixtures', () => {
  void it('has one fixture per connector failure scenario plus the healthy ones, and no others', () => {
    assert.deepEqual(fixtureNames(), Object.keys(EXPECTED).sort());
  });

  void it('validates every fixture against the shared schemas, each about a PENDING refund', () => {
    const fixtures = loadAllFixtures();
    assert.equal(fixtures.length, Object.keys(EXPECTED).length);
    for (const f of fixtures) {
      const refund = f.bwpOrder.refunds.details.find((r) => r.id === f.refundId);
      assert.equal(refund?.state, 'PENDING', f.name);
      assert.ok(f.description.length > 20, `${f.name} says what it is about`);
    }
  });

  for (const [name, expected] of Object.entries(EXPECTED)) {
    void it(`${name}: shows ${expected.length ? expected.join(', ') : 'no problem'}, and nothing else`, () => {
      assert.deepEqual(problemsOf(loadFixture(name)), expected);
    });
  }

  void it('keeps money consistent: store unit price = BwP price - unit discount + unit tax; the derived total holds', () => {
    for (const f of loadAllFixtures()) {
      for (const line of f.bwpOrder.lineItems) {
        const qty = line.amount.value;
        assert.equal(line.amount.unit, 'ONE', `${f.name} ${line.id} unit`);
        const { storeLine } = storeLineOf(f, line.id);
        if (line.product.price && storeLine) {
          const unit = cents(line.product.price) - discountOf(line) / qty + taxOf(line) / qty;
          assert.equal(storeCents(storeLine.unitPrice), unit, `${f.name} ${line.id}`);
          assert.equal(storeCents(storeLine.unitTax), taxOf(line) / qty, `${f.name} ${line.id} tax`);
          assert.equal(storeLine.quantity, qty, `${f.name} ${line.id} quantity`);
        }
      }
      assert.equal(grandTotal(f), Math.round(GRAND_TOTALS[f.name]! * 100), `${f.name} grand total`);
      const currencies = new Set(
        [
          ...f.bwpOrder.lineItems.flatMap((l) => [
            l.product.price,
            taxAmount(l.taxes),
            ...discountAmounts(l.discounts),
          ]),
          ...f.bwpOrder.refunds.details.flatMap((r) => [
            r.refundTotal?.totalAmount,
            ...r.paymentDetails.map((p) => p.amount),
          ]),
        ]
          .filter((a) => a)
          .map((a) => a!.currencyCode),
      );
      assert.deepEqual([...currencies], ['USD'], `${f.name}: BwP money is USD`);
    }
  });

  void it('gives every payment an id, a payment method and a state, and every line its SKU as an alias', () => {
    for (const f of loadAllFixtures()) {
      for (const p of f.bwpOrder.refunds.details.flatMap((r) => r.paymentDetails)) {
        assert.ok(p.id, f.name);
        assert.deepEqual(p.paymentMethod, { type: 'AMAZON_PAY', displayString: 'Amazon Pay' }, f.name);
        assert.equal(p.state, 'SUCCESS', f.name);
      }
      for (const line of f.bwpOrder.lineItems) assert.ok(skuOf(line), `${f.name} ${line.id} has a SKU alias`);
    }
  });

  void it('points every refunded line at a line of the BwP order, and the EXTERNAL_ID alias at the store order', () => {
    for (const f of loadAllFixtures()) {
      const lineIds = new Set(f.bwpOrder.lineItems.map((l) => l.id));
      for (const refund of f.bwpOrder.refunds.details) {
        for (const l of refund.refundFor?.orderLineItems ?? []) assert.ok(lineIds.has(l.lineItem.id), `${f.name}`);
      }
      assert.equal(f.bwpOrder.aliases.find((a) => a.aliasType === 'EXTERNAL_ID')?.aliasId, f.storeOrder.id);
    }
  });

  void it('names the file and the field when a fixture is invalid', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'fixtures-'));
    try {
      const broken = { ...loadFixture('healthy-single-sku'), name: 'broken', refundId: 'not-a-refund' };
      writeFileSync(path.join(dir, 'broken.json'), JSON.stringify(broken));
      assert.throws(() => loadFixture('broken', dir), /broken\.json[\s\S]*refundId/);
      writeFileSync(
        path.join(dir, 'renamed.json'),
        JSON.stringify({ ...broken, refundId: loadFixture('healthy-single-sku').refundId }),
      );
      assert.throws(() => loadFixture('renamed', dir), /must match its file/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  void it('refuses a BwP order with a field the reference does not publish, naming it', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'fixtures-'));
    try {
      const write = (name: string, edit: (order: Loose) => void) => {
        const f = JSON.parse(JSON.stringify(loadFixture('healthy-single-sku')));
        f.name = name;
        edit(f.bwpOrder);
        writeFileSync(path.join(dir, `${name}.json`), JSON.stringify(f));
      };
      write('sku', (o) => (o.lineItems[0].product.sku = 'SOCKS-TRAIL-M'));
      assert.throws(() => loadFixture('sku', dir), /product\.sku is not a field of PurchasedProductView/);
      write('totals', (o) => (o.totals = { grandTotal: { amount: 18.95, currencyCode: 'USD' } }));
      assert.throws(() => loadFixture('totals', dir), /Order\.totals is not a field of Order/);
      write('shipping', (o) => (o.shipping = { amount: { amount: 5.99, currencyCode: 'USD' } }));
      assert.throws(() => loadFixture('shipping', dir), /Order\.shipping is not a field of Order/);
      write('quantity', (o) => (o.lineItems[0].amount = 1));
      assert.throws(() => loadFixture('quantity', dir), /lineItems\[0\]\.amount must be an object \(Amount\)/);
      write('refund-shipping', (o) => (o.refunds.details[0].refundFor.shipping = true));
      assert.throws(() => loadFixture('refund-shipping', dir), /refundFor\.shipping is not a field of RefundFor/);
      write('payment', (o) => (o.refunds.details[0].paymentDetails = [{ amount: { amount: 1, currencyCode: 'USD' } }]));
      assert.throws(() => loadFixture('payment', dir), /paymentMethod is required/);
      write('no-sku', (o) => {
        const aliases = o.lineItems[0].aliases as { aliasType: string }[];
        o.lineItems[0].aliases = aliases.filter((a) => a.aliasType !== 'SKU');
      });
      assert.throws(() => loadFixture('no-sku', dir), /needs a SKU alias/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  void it('makes unique copies: fresh order and refund ids, EXTERNAL_ID still pointing at the store order', () => {
    const original = loadFixture('line-already-refunded');
    const a = uniqueFixture(original);
    const b = uniqueFixture(original, { suffix: 'fixed', businessProductId: 'bp-2' });
    assert.notEqual(a.bwpOrder.id, b.bwpOrder.id);
    assert.notEqual(a.refundId, original.refundId);
    assert.equal(b.bwpOrder.id, `${original.bwpOrder.id}-fixed`);
    assert.equal(b.storeOrder.id, `${original.storeOrder.id}-fixed`);
    assert.equal(b.refundId, `${original.refundId}-fixed`);
    assert.equal(b.businessProductId, 'bp-2');
    assert.deepEqual(
      b.externalRefundIds,
      original.externalRefundIds.map((id) => `${id}-fixed`),
    );
    assert.equal(b.bwpOrder.aliases.find((a) => a.aliasType === 'EXTERNAL_ID')?.aliasId, b.storeOrder.id);
    assert.ok(b.bwpOrder.refunds.details.every((r) => r.id.endsWith('-fixed')));
    assert.equal(original.bwpOrder.id, 'bwp-order-line-already-refunded', 'the original is untouched');
  });
});

void describe('fixtures seeded into the sandbox', () => {
  let sandbox: Sandbox;
  before(async () => {
    sandbox = await startSandbox();
  });
  after(() => sandbox.close());

  void it('two unique copies of one fixture live side by side without touching each other', async () => {
    const a = uniqueFixture(loadFixture('healthy-single-sku'));
    const b = uniqueFixture(loadFixture('healthy-single-sku'));
    await sandbox.seed(a);
    await sandbox.seed(b);
    assert.equal(
      (
        await postRefund(sandbox, {
          id: 'k',
          order: a.storeOrder.id,
          line_items: [{ id: 'shop-line-socks', quantity: 1 }],
        })
      ).status,
      201,
    );
    assert.equal((await getStoreOrder(sandbox, b.storeOrder.id)).body.lineItems[0].refundedQuantity, 0);
    assert.equal((await gql(sandbox, ORDER_BY_ID, { orderId: b.bwpOrder.id })).body.data.order.id, b.bwpOrder.id);
  });

  void it('POST /admin/scenarios/:name seeds both systems, with fresh ids on request', async () => {
    const res = await adminPost(sandbox.bwpAdminUrl, '/scenarios/healthy-partial-qty', { suffix: 'random' });
    assert.equal(res.status, 201);
    const seeded = res.body as Fixture;
    assert.notEqual(seeded.bwpOrder.id, 'bwp-order-healthy-partial-qty');
    assert.equal(
      (await gql(sandbox, ORDER_BY_ID, { orderId: seeded.bwpOrder.id })).body.data.order.id,
      seeded.bwpOrder.id,
    );
    assert.equal((await getStoreOrder(sandbox, seeded.storeOrder.id)).status, 200);
  });

  void it("POST /admin/scenarios/:name on the store's admin seeds the fixture's own ids", async () => {
    const res = await adminPost(sandbox.storeAdminUrl, '/scenarios/reference-example');
    assert.equal(res.status, 201);
    assert.equal(
      (await gql(sandbox, ORDER_BY_ID, { orderId: 'order-id' })).body.data.order.refunds.details[0].id,
      'example-refund-id',
    );
  });

  void it('lists the scenarios it can seed, and answers 404 for an unknown one', async () => {
    assert.deepEqual((await adminGet(sandbox.storeAdminUrl, '/scenarios')).body.scenarios, fixtureNames());
    const res = await adminPost(sandbox.bwpAdminUrl, '/scenarios/no-such-scenario');
    assert.equal(res.status, 404);
    assert.equal(res.body.error.code, 'UNKNOWN_SCENARIO');
  });

  void it('POST /admin/orders seeds a fixture body, and rejects an invalid one naming the field', async () => {
    const fixture = uniqueFixture(loadFixture('sku-relinked'));
    const ok = await adminPost(sandbox.storeAdminUrl, '/orders', fixture);
    assert.equal(ok.status, 201);
    assert.equal((await getStoreOrder(sandbox, fixture.storeOrder.id)).body.lineItems[1].sku, 'BOTTLE-750');

    const bad = await adminPost(sandbox.bwpAdminUrl, '/orders', {
      ...fixture,
      storeOrder: { ...fixture.storeOrder, currency: 7 },
    });
    assert.equal(bad.status, 400);
    assert.match(bad.body.error.message, /currency/);
  });
});
