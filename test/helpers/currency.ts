import { formatDecimal, fromBwpAmount, parseDecimal, toBwpAmount } from '../../domain/money';
import type { Fixture } from '../../sandbox';

/**
 * Restates a USD fixture in another currency, in place, keeping every amount's count of minor units: 12.96 USD
 * (1296 cents) becomes 1296 JPY or 1.296 KWD. Sums, tax shares and totals stay exactly as consistent as they were.
 */
export function inCurrency(fixture: Fixture, currency: string): Fixture {
  const convert = (value: unknown): void => {
    if (Array.isArray(value)) {
      value.forEach(convert);
      return;
    }
    if (value === null || typeof value !== 'object') return;
    const record = value as Record<string, unknown>;
    if (typeof record.amount === 'number' && record.currencyCode === 'USD') {
      const converted = toBwpAmount(fromBwpAmount({ amount: record.amount, currencyCode: 'USD' }), currency);
      record.amount = converted.amount;
      record.currencyCode = currency;
      return;
    }
    Object.values(record).forEach(convert);
  };
  convert(fixture.bwpOrder);
  const store = fixture.storeOrder;
  const restate = (s: string) => formatDecimal(parseDecimal(s, 'USD'), currency);
  store.currency = currency;
  store.refundedTotal = restate(store.refundedTotal);
  store.shipping.amount = restate(store.shipping.amount);
  for (const line of store.lineItems) {
    line.unitPrice = restate(line.unitPrice);
    line.unitTax = restate(line.unitTax);
    if (line.refundedTax !== undefined) line.refundedTax = restate(line.refundedTax);
  }
  return fixture;
}
