import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { BWP_REFUND_REQUEST_REASONS, type BwpAmount } from '../../domain/schemas/bwp';
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

function storeLineOf(f: Fixture, bwpLineId: string) {
  const line = f.bwpOrder.lineItems.find((l) => l.id === bwpLineId);
  const storeId = line?.aliases.find((a) => a.aliasType === 'EXTERNAL_ITEM_ID')?.aliasId;
  return { line, storeLine: f.storeOrder.lineItems.find((l) => l.id === storeId) };
}

/** What is wrong with a fixture's refund, seen the way the service's validation would see it. */
function problemsOf(f: Fixture): string[] {
  const problems = new Set<string>();
  const refund = f.bwpOrder.refunds.details.find((r) => r.id === f.refundId)!;
  const lines = refund.refundFor?.orderLineItems ?? [];
  const shipping = refund.refundFor?.shipping === true;
  const total = cents(refund.refundTotal?.totalAmount);
  if (lines.length === 0 && !shipping) problems.add('NO_LINES');
  let expected = shipping ? storeCents(f.storeOrder.shipping.amount) : 0;
  for (const refunded of lines) {
    const { line, storeLine } = storeLineOf(f, refunded.lineItem.id);
    if (refunded.amount == null) problems.add('BLANK_QUANTITY');
    if (!line?.product.price) problems.add('BLANK_PRICE');
    if (!storeLine) {
      problems.add('LINE_NOT_IN_STORE');
      continue;
    }
    if (storeLine.sku !== line?.product.sku) problems.add('SKU_RELINKED');
    if ((refunded.amount ?? 0) > storeLine.quantity - storeLine.refundedQuantity) problems.add('NOT_ENOUGH_LEFT');
    expected += (refunded.amount ?? 0) * storeCents(storeLine.unitPrice);
  }
  if (lines.length >= 2 && lines.every((l) => l.amount != null) && total !== expected) problems.add('LUMP_SUM');
  if (total > cents(f.bwpOrder.totals.grandTotal)) problems.add('ABOVE_ORDER');
  if (shipping && f.storeOrder.shipping.refunded) problems.add('SHIPPING_REFUNDED');
  const refundedUnits =
    f.storeOrder.lineItems.reduce((sum, l) => sum + l.refundedQuantity * storeCents(l.unitPrice), 0) +
    (f.storeOrder.shipping.refunded ? storeCents(f.storeOrder.shipping.amount) : 0);
  if (storeCents(f.storeOrder.refundedTotal) > refundedUnits) problems.add('TAX_REFUNDED');
  if (refund.refundRequestReason == null) problems.add('REASON_BLANK');
  else if (!(BWP_REFUND_REQUEST_REASONS as readonly string[]).includes(refund.refundRequestReason)) {
    problems.add('REASON_UNKNOWN');
  }
  if (f.storeOrder.currency !== f.bwpOrder.totals.grandTotal.currencyCode) problems.add('CURRENCY_MISMATCH');
  const preorders = new Set(f.storeOrder.lineItems.filter((l) => l.kind === 'preorder').map((l) => l.preorderId));
  if (preorders.size > 1) problems.add('MULTIPLE_PREORDERS');
  else if (preorders.size === 1 && f.storeOrder.lineItems.some((l) => l.kind === 'checkout')) {
    problems.add('MIXED_PREORDER');
  }
  return [...problems].sort();
}

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

  void it('keeps money consistent: store unit price = BwP price - unit discount + unit tax, and totals add up', () => {
    for (const f of loadAllFixtures()) {
      let goods = 0;
      for (const line of f.bwpOrder.lineItems) {
        const qty = line.amount ?? 0;
        const discount = line.discounts.reduce((s, d) => s + cents(d.amount), 0);
        const tax = line.taxes.reduce((s, t) => s + cents(t.amount), 0);
        const { storeLine } = storeLineOf(f, line.id);
        if (line.product.price && storeLine) {
          const unit = cents(line.product.price) - discount / qty + tax / qty;
          assert.equal(storeCents(storeLine.unitPrice), unit, `${f.name} ${line.id}`);
          assert.equal(storeCents(storeLine.unitTax), tax / qty, `${f.name} ${line.id} tax`);
          assert.equal(storeLine.quantity, qty, `${f.name} ${line.id} quantity`);
        }
        // A blank BwP price still has a store price: the goods total comes from the store side then.
        goods += line.product.price
          ? cents(line.product.price) * qty - discount + tax
          : storeCents(storeLine!.unitPrice) * qty;
      }
      const shipping = cents(f.bwpOrder.shipping?.amount) + cents(f.bwpOrder.shipping?.tax);
      const orderDiscounts = f.bwpOrder.discounts.reduce((s, d) => s + cents(d.amount), 0);
      assert.equal(cents(f.bwpOrder.totals.grandTotal), goods + shipping - orderDiscounts, `${f.name} grand total`);
      assert.equal(storeCents(f.storeOrder.shipping.amount), shipping, `${f.name} shipping`);
      const currencies = new Set(
        [f.bwpOrder.totals.grandTotal, ...f.bwpOrder.refunds.details.map((r) => r.refundTotal?.totalAmount)]
          .filter((a) => a)
          .map((a) => a!.currencyCode),
      );
      assert.deepEqual([...currencies], ['USD'], `${f.name}: BwP money is USD`);
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
