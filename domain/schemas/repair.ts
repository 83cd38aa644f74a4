import { z } from 'zod';
import { REFUND_STATUS_REASONS } from '../bwp-values';
import { DecimalString } from './decimal';

/**
 * What an operator sends to a refund parked in AWAITING_REPAIR: the connector's "Failed Refund" dialog (per SKU: tick,
 * quantity, reason, amount, so the totals add up to what they intend), or a decline with a BwP status reason, or a note
 * that it was resolved outside the system. Reasons here are the merchant's reasons (see domain/reasons.ts).
 */

export const RepairLine = z.object({
  /** The BwP line item id. */
  lineItemId: z.string().min(1, 'must name the line item'),
  ticked: z.boolean(),
  /** Units refunded on this line; 0 for money only (goodwill). */
  quantity: z.number().int('must be a whole number').min(0, 'must be 0 or more'),
  /** A merchant reason, e.g. CustomerReturn; advisory unless REASON_RULES_BLOCK (docs/domain.md rule 10). */
  reason: z.string().optional(),
  /** Amount for this line in the order's currency, e.g. "19.99". */
  amount: DecimalString,
});
export type RepairLine = z.infer<typeof RepairLine>;

export const RepairMode = z.enum(['auto', 'line-items', 'appeasement']);
export type RepairMode = z.infer<typeof RepairMode>;

export const RepairInput = z.object({
  lines: z.array(RepairLine),
  /** Also refund the order's shipping charge (only with line items; at most once per order). */
  shipping: z.boolean().optional(),
  /** 'auto' (default) sends line items when every ticked amount is the value of its units, else an appeasement. */
  mode: RepairMode.optional(),
  /** The total the operator intends; when given, the ticked amounts (plus shipping) must add up to it. */
  total: DecimalString.optional(),
  note: z.string().max(2000).optional(),
});
export type RepairInput = z.infer<typeof RepairInput>;

export const DeclineInput = z.object({
  statusReason: z.enum(REFUND_STATUS_REASONS),
  note: z.string().max(2000).optional(),
});
export type DeclineInput = z.infer<typeof DeclineInput>;

export const ResolveInput = z.object({
  note: z.string().trim().min(1, 'must say how it was resolved').max(2000),
});
export type ResolveInput = z.infer<typeof ResolveInput>;
