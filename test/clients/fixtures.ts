import type { BwpTokenSource, Outcome } from '../../activities/clients';
import type { BwpOrder } from '../../domain/schemas/bwp';
import type { RefundRequest, RefundSuccess, StoreOrder } from '../../domain/schemas/store';

/** Plain data shared by the client tests: one BwP order with a pending refund, and the store's side of it. */

const usd = (amount: number) => ({ amount, currencyCode: 'USD' });

/** A BwP order as the published 2024-11-01 schema returns it (the fields ORDER_FIELDS_FRAGMENT selects). */
export const bwpOrder = {
  id: 'bwp-order-1',
  aliases: [{ aliasType: 'EXTERNAL_ID', aliasId: 'store-order-1' }],
  lineItems: [
    {
      id: 'li-1',
      aliases: [
        { aliasType: 'EXTERNAL_ITEM_ID', aliasId: 'store-line-1' },
        { aliasType: 'SKU', aliasId: 'SKU-1' },
      ],
      amount: { unit: 'ONE', value: 2 },
      product: { title: 'Mug', price: usd(12.5) },
      taxes: { summary: { collectableTaxAmount: usd(2) } },
      discounts: null,
    },
  ],
  discounts: null,
  refunds: {
    details: [
      {
        id: 'refund-1',
        aliases: [],
        createdAt: '2025-01-01T00:00:00Z',
        updatedAt: '2025-01-01T00:00:00Z',
        state: 'PENDING',
        refundRequestReason: 'DAMAGED_DEFECTIVE_ITEM',
        refundStatusReason: null,
        refundTotal: { totalAmount: usd(13.5) },
        paymentDetails: [],
        refundFor: { orderLineItems: [{ lineItem: { id: 'li-1' }, amount: { unit: 'ONE', value: 1 } }] },
      },
    ],
  },
} satisfies BwpOrder;

export const storeOrder = {
  id: 'store-order-1',
  currency: 'USD',
  lineItems: [
    {
      id: 'store-line-1',
      sku: 'SKU-1',
      quantity: 2,
      refundedQuantity: 0,
      unitPrice: '13.50',
      unitTax: '1.00',
      kind: 'checkout',
      preorderId: null,
    },
  ],
  shipping: { amount: '5.00', refunded: false },
  refundedTotal: '0.00',
} satisfies StoreOrder;

/** A token source that hands out `token` (after each invalidate: `token-2`, `token-3`, …), counting what it is asked. */
export class FakeTokens implements BwpTokenSource {
  asked = 0;
  readonly invalidated: string[] = [];
  private generation = 1;
  current: string;
  constructor(private readonly base: string) {
    this.current = base;
  }
  async token(): Promise<Outcome<string>> {
    this.asked += 1;
    return { kind: 'success', value: this.current };
  }
  invalidate(token: string): void {
    this.invalidated.push(token);
    if (token === this.current) this.current = `${this.base}-${++this.generation}`;
  }
  requests(): number {
    return this.generation;
  }
}

export const refundRequest = {
  id: 'refund-1:rev-1',
  order: 'store-order-1',
  line_items: [{ id: 'store-line-1', quantity: 1 }],
} satisfies RefundRequest;

export const refundSuccess = {
  id: 'refund-1:rev-1',
  order: 'store-order-1',
  refunded: { amount: '13.50', currency: 'USD' },
} satisfies RefundSuccess;
