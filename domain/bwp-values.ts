/**
 * Buy with Prime values the domain reads without parsing anything: alias types, the documented refund request reasons,
 * and the money of discount and tax summaries. No zod here: the workflow bundle evaluates every module it imports once
 * per workflow run, and domain/schemas/bwp.ts (the schemas the clients parse with) stays out of it.
 */
import type { BwpAmount, DiscountAllocations, Taxes } from './schemas/bwp';

/** refundRequestReason values documented by BwP (the published list was cut off; unknown values stay strings). */
export const BWP_REFUND_REQUEST_REASONS = [
  'BILLING_ERROR',
  'CANCELLED_ORDER',
  'CUSTOMER_NOT_SATISFIED_WITH_SERVICE',
  'DAMAGED_DEFECTIVE_ITEM',
  'DELIVERED_NOT_RECEIVED',
  'DELIVERY_ISSUES',
  'EXPIRATION_DATE_PROBLEM',
  'FOOD_SAFETY_ISSUE',
  'ITEM_MISSING',
  'LOST_IN_TRANSIT',
  'NOT_DELIVERED',
  'OTHERS',
  'RECEIVED_ITEM_TOO_LATE',
  'RETURN_DROPPED_OFF_PICKED_UP',
  'RETURN_NO_SCAN',
  'RETURN_RECEIVED',
  'RETURN_RELATED_ERROR',
  'WRONG_ITEM_RECEIVED',
] as const;

/** refundStatusReason values a merchant may report with a decline (RefundStatusReason). */
export const REFUND_STATUS_REASONS = [
  'EXCESSIVE_RETURNS',
  'FAILURE_TO_PROVIDE_PROOF_OF_PURCHASE',
  'FRAUDULENT_RETURN_ATTEMPT',
  'ITEM_NOT_RETURNED_IN_ORIGINAL_CONDITION',
  'MISSING_ORIGINAL_PACKAGING',
  'MISSING_RECEIPT_OR_PROOF_OF_PURCHASE',
  'NON_REFUNDABLE_SHIPPING_FEES',
  'NON_RETURNABLE_ITEMS',
  'OTHERS',
  'PARTIALLY_DECLINED',
  'REFUND_ALREADY_PROCESSED',
  'REFUND_VIOLATION',
  'RETURN_NOT_AUTHORIZED',
  'RETURN_WINDOW_EXPIRED',
  'USED_OR_DAMAGED_ITEM',
] as const;

export const ALIAS_EXTERNAL_ID = 'EXTERNAL_ID';
export const ALIAS_EXTERNAL_ITEM_ID = 'EXTERNAL_ITEM_ID';
export const ALIAS_SKU = 'SKU';
export const ALIAS_EXTERNAL_REFUND_ID = 'EXTERNAL_REFUND_ID';

/** Discount money of a DiscountAllocations: its summary, else the sum of its details (null: none). */
export function discountAmounts(d: DiscountAllocations): BwpAmount[] {
  if (!d) return [];
  if (d.summary) return [d.summary.amount];
  return d.details.map((x) => x.amount);
}

/** Tax money of a Taxes (its collectable amount), if any. */
export function taxAmount(t: Taxes): BwpAmount | undefined {
  return t?.summary?.collectableTaxAmount ?? undefined;
}
