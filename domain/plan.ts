/**
 * What a plan is: types only (validate/ builds plans; the workflow and the reports read them), so that nothing here
 * depends on the code that builds it.
 */
import type { Minor } from './money';
import type { StoreRefundBody } from './store-request';

/** One SKU of a plan as it will be reported to BwP (quantity 0 = money only, in an appeasement). */
export type PlanLine = {
  /** BwP line id. */
  lineItemId: string;
  storeLineId: string;
  sku?: string;
  quantity: number;
  amount: Minor;
  /** Merchant reason (domain/reasons.ts); absent when it is blank or unmapped and the reason rules are advisory. */
  reason?: string;
};

/**
 * What the workflow submits and reports. Plain JSON (Minor is a number), so it travels through Temporal as is.
 *
 * Mode rule (docs/domain.md rules 11 and 16): `line-items` when every ticked line refunds at least one unit, its
 * amount is exactly the value of those units (context.ts `valueOfUnits`: unit price − discount share + tax share not
 * yet refunded, cumulative floor shares, the last unit absorbing rounding) and the store's own price for those units
 * (context.ts `storeValueOfUnits`) is that same amount; the store is then sent N elements of quantity 1 per line, plus
 * `shipping: true` when shipping is refunded. Otherwise (a partial amount, money without units, a store that prices
 * the units differently, or a requested appeasement) it is an `appeasement` of the sum, allowed only by policy and
 * never with shipping; the per-SKU split stays in `report.lines`.
 */
export type RefundPlan = {
  /** Numbers the plan in the refund's life; the workflow bumps it after a definitive rejection (idempotency key). */
  revision: number;
  mode: 'line-items' | 'appeasement';
  /** The POST /refund body minus its idempotency id. */
  storeRequest: StoreRefundBody;
  report: {
    currency: string;
    /** Sum of the lines' amounts plus the shipping charge when shipping is refunded. */
    total: Minor;
    lines: PlanLine[];
    shipping: boolean;
    /**
     * How far below Amazon's estimate this total may be and still settle the refund in full (rule 15): the policy's
     * tolerance per line times the lines. Absent in plans made before it existed: 0.
     */
    estimateTolerance?: Minor;
  };
};
