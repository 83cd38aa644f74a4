import type { Policy } from '../domain/context';
import { DEFAULT_MERCHANT_REASONS, DEFAULT_REASON_MAP } from '../domain/reasons';
import type { PaymentMethodType } from '../domain/schemas/bwp';
import type { Config } from './config';

/** What a shopper reads for each payment method (PaymentMethodInput.displayString). */
const PAYMENT_METHOD_LABELS: Record<PaymentMethodType, string> = {
  AMAZON_PAY: 'Amazon Pay',
  AMAZON_PAY_EXPRESS: 'Amazon Pay Express',
  PAYPAL: 'PayPal',
  PAYPAL_EXPRESS: 'PayPal Express',
  CARD: 'Card',
  GIFT_CARD: 'Gift card',
  SHOPIFY_PAYMENTS: 'Shopify Payments',
};

/** The refund policy the workflows apply, from config: reason map (over the defaults), appeasement, the estimate's
 * tolerance and what a repair may add (docs/domain.md rules 10, 11, 15, 17). */
export function policyFromConfig(config: Config): Policy {
  return {
    reasons: {
      map: { ...DEFAULT_REASON_MAP, ...config.REASON_MAP },
      defaultReason: config.DEFAULT_MERCHANT_REASON,
      merchantReasons: DEFAULT_MERCHANT_REASONS,
    },
    allowAppeasement: config.ALLOW_APPEASEMENT,
    estimateTolerancePerLine: config.ESTIMATE_TOLERANCE_PER_LINE,
    allowRepairAdditions: config.REPAIR_ALLOW_ADDITIONS,
    reasonRulesBlock: config.REASON_RULES_BLOCK,
    paymentMethod: { type: config.BWP_PAYMENT_METHOD, displayString: PAYMENT_METHOD_LABELS[config.BWP_PAYMENT_METHOD] },
  };
}
