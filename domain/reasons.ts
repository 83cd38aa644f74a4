import { BWP_REFUND_REQUEST_REASONS } from './bwp-values';

/**
 * Mapping of BwP's `refundRequestReason` to the merchant's own refund reasons (the connector's "Refund Reason (Amazon)"
 * list). The BwP reason itself is never rewritten; the mapped reason travels with the plan for the store and the audit.
 */
export type ReasonPolicy = {
  /** BwP reason -> merchant reason. */
  map: Record<string, string>;
  /** Used for a documented BwP reason that `map` does not cover. Must be one of `merchantReasons`. */
  defaultReason?: string;
  /** The merchant's reasons, case-sensitive. */
  merchantReasons: readonly string[];
};

export const DEFAULT_MERCHANT_REASONS = [
  'CustomerReturn',
  'GeneralAdjustment',
  'NoInventory',
  'CouldNotShip',
  'DifferentItem',
  'Abandoned',
  'CustomerCancel',
  'ProductOutofStock',
  'Other',
] as const;

export type BwpRefundRequestReason = (typeof BWP_REFUND_REQUEST_REASONS)[number];

export const DEFAULT_REASON_MAP: Readonly<Record<BwpRefundRequestReason, (typeof DEFAULT_MERCHANT_REASONS)[number]>> = {
  BILLING_ERROR: 'GeneralAdjustment',
  CANCELLED_ORDER: 'CustomerCancel',
  CUSTOMER_NOT_SATISFIED_WITH_SERVICE: 'GeneralAdjustment',
  DAMAGED_DEFECTIVE_ITEM: 'CustomerReturn',
  DELIVERED_NOT_RECEIVED: 'CouldNotShip',
  DELIVERY_ISSUES: 'CouldNotShip',
  EXPIRATION_DATE_PROBLEM: 'CustomerReturn',
  FOOD_SAFETY_ISSUE: 'CustomerReturn',
  ITEM_MISSING: 'CouldNotShip',
  LOST_IN_TRANSIT: 'CouldNotShip',
  NOT_DELIVERED: 'CouldNotShip',
  OTHERS: 'Other',
  RECEIVED_ITEM_TOO_LATE: 'GeneralAdjustment',
  RETURN_DROPPED_OFF_PICKED_UP: 'CustomerReturn',
  RETURN_NO_SCAN: 'CustomerReturn',
  RETURN_RECEIVED: 'CustomerReturn',
  RETURN_RELATED_ERROR: 'CustomerReturn',
  WRONG_ITEM_RECEIVED: 'DifferentItem',
};

/** The connector's factory default reason. */
export const FACTORY_DEFAULT_REASON = 'GeneralAdjustment';

/** A policy with the default map and merchant list; `overrides.map` entries replace the defaults one by one. */
export function reasonPolicy(overrides: Partial<ReasonPolicy> = {}): ReasonPolicy {
  const policy: ReasonPolicy = {
    map: { ...DEFAULT_REASON_MAP, ...overrides.map },
    merchantReasons: overrides.merchantReasons ?? DEFAULT_MERCHANT_REASONS,
  };
  if (overrides.defaultReason !== undefined) policy.defaultReason = overrides.defaultReason;
  return policy;
}

export type ReasonResult =
  | { ok: true; reason: string }
  | { ok: false; code: 'REASON_MISSING' | 'REASON_UNKNOWN' | 'REASON_UNMAPPED'; message: string };

const KNOWN_BWP = new Set<string>(BWP_REFUND_REQUEST_REASONS);

/**
 * Maps a BwP reason to a merchant reason.
 * - blank -> REASON_MISSING;
 * - an explicit map entry wins; it must name a merchant reason, else REASON_UNMAPPED (the map is wrong);
 * - a documented BwP reason without an entry takes the configured default, else REASON_UNMAPPED;
 * - an undocumented reason without an entry is REASON_UNKNOWN: a default is not applied to a value we do not
 *   understand (BwP's published list was cut off, so a new value should be looked at and mapped by a person).
 */
export function mapReason(bwpReason: string | null | undefined, policy: ReasonPolicy): ReasonResult {
  if (typeof bwpReason !== 'string' || bwpReason.trim() === '') {
    return { ok: false, code: 'REASON_MISSING', message: 'The refund has no reason; a reason is required.' };
  }
  const valid = (r: string | undefined): boolean => r !== undefined && policy.merchantReasons.includes(r);
  const mapped = Object.prototype.hasOwnProperty.call(policy.map, bwpReason) ? policy.map[bwpReason] : undefined;
  if (mapped !== undefined) {
    if (valid(mapped)) return { ok: true, reason: mapped };
    return {
      ok: false,
      code: 'REASON_UNMAPPED',
      message: `Reason ${bwpReason} is mapped to "${mapped}", which is not one of the merchant's reasons.`,
    };
  }
  if (!KNOWN_BWP.has(bwpReason)) {
    return {
      ok: false,
      code: 'REASON_UNKNOWN',
      message: `Reason "${bwpReason}" is not a Buy with Prime reason we know.`,
    };
  }
  if (policy.defaultReason !== undefined && valid(policy.defaultReason))
    return { ok: true, reason: policy.defaultReason };
  return {
    ok: false,
    code: 'REASON_UNMAPPED',
    message: `Reason ${bwpReason} has no mapping and no valid default reason is configured.`,
  };
}

/** Checks a merchant reason chosen by an operator (repair dialog): present and one of the merchant's reasons. */
export function checkMerchantReason(reason: string | undefined, policy: ReasonPolicy): ReasonResult {
  if (reason === undefined || reason.trim() === '')
    return { ok: false, code: 'REASON_MISSING', message: 'The reason is blank.' };
  if (!policy.merchantReasons.includes(reason)) {
    return {
      ok: false,
      code: 'REASON_UNKNOWN',
      message: `"${reason}" is not one of the merchant's reasons (${policy.merchantReasons.join(', ')}).`,
    };
  }
  return { ok: true, reason };
}

/** The reason a suggestion may fill in without asking: the configured default, else "Other" when the list has it. */
export function fallbackReason(policy: ReasonPolicy): string | undefined {
  if (policy.defaultReason !== undefined && policy.merchantReasons.includes(policy.defaultReason)) {
    return policy.defaultReason;
  }
  return policy.merchantReasons.includes('Other') ? 'Other' : undefined;
}
