import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  type Minor,
  MoneyError,
  ZERO,
  add,
  allocate,
  cmp,
  currencyExponent,
  formatDecimal,
  fromBwpAmount,
  isNegative,
  isZero,
  max,
  min,
  minor,
  mulInt,
  parseDecimal,
  prorate,
  sub,
  sum,
  toBwpAmount,
} from '../../domain/money';

const CURRENCIES = ['USD', 'EUR', 'GBP', 'CAD', 'JPY', 'KWD'] as const;

void describe('money: currencies', () => {
  void test('ISO 4217 exponents: USD/EUR/GBP/CAD 2, JPY 0, KWD 3', () => {
    assert.deepEqual(
      CURRENCIES.map((c) => currencyExponent(c)),
      [2, 2, 2, 2, 0, 3],
    );
  });

  void test('an unknown or lower-case currency code is refused with MoneyError', () => {
    assert.throws(() => currencyExponent('USS'), MoneyError);
    assert.throws(() => currencyExponent('usd'), MoneyError);
    assert.throws(() => parseDecimal('1.00', 'XYZ'), /not an ISO 4217 currency/);
  });
});

void describe('money: decimal strings', () => {
  void test('parses decimal strings digit by digit in each currency', () => {
    assert.equal(parseDecimal('10.00', 'USD'), 1000);
    assert.equal(parseDecimal('19.99', 'USD'), 1999);
    assert.equal(parseDecimal('19.9', 'USD'), 1990);
    assert.equal(parseDecimal('7', 'USD'), 700);
    assert.equal(parseDecimal('1000', 'JPY'), 1000);
    assert.equal(parseDecimal('1.500', 'KWD'), 1500);
    assert.equal(parseDecimal('0.001', 'KWD'), 1);
  });

  void test('refuses more decimal places than the currency allows, naming why', () => {
    assert.throws(() => parseDecimal('10.001', 'USD'), /3 decimal places but USD allows at most 2/);
    assert.throws(() => parseDecimal('1.5', 'JPY'), /JPY allows none/);
    assert.throws(() => parseDecimal('1.0001', 'KWD'), /KWD allows at most 3/);
  });

  void test('refuses negatives, blanks and garbage with MoneyError', () => {
    assert.throws(() => parseDecimal('-1.00', 'USD'), /negative/);
    assert.throws(() => parseDecimal('', 'USD'), /blank/);
    for (const bad of ['1e3', '1,00', '$1', ' 1', '1.', '.5', 'NaN', 'Infinity', '0x10', '+1']) {
      assert.throws(() => parseDecimal(bad, 'USD'), MoneyError, bad);
    }
  });

  void test('refuses amounts too large to hold exactly', () => {
    assert.throws(() => parseDecimal('90071992547409.92', 'USD'), /too large/);
  });

  void test('formats minor units with the currency exponent', () => {
    assert.equal(formatDecimal(minor(1000), 'USD'), '10.00');
    assert.equal(formatDecimal(minor(5), 'USD'), '0.05');
    assert.equal(formatDecimal(minor(1000), 'JPY'), '1000');
    assert.equal(formatDecimal(minor(1500), 'KWD'), '1.500');
    assert.equal(formatDecimal(minor(-150), 'USD'), '-1.50');
  });

  void test('property: parse(format(m)) = m and format(parse(s)) = s for each currency', () => {
    fc.assert(
      fc.property(fc.constantFrom(...CURRENCIES), fc.maxSafeNat(), (currency, n) => {
        const m = minor(n);
        const s = formatDecimal(m, currency);
        assert.equal(parseDecimal(s, currency), m);
        assert.equal(formatDecimal(parseDecimal(s, currency), currency), s);
      }),
    );
  });
});

void describe('money: BwP JSON numbers', () => {
  void test('19.99 is 1999 cents exactly (shortest round-trip string, no float multiply)', () => {
    assert.equal(fromBwpAmount({ amount: 19.99, currencyCode: 'USD' }), 1999);
    // 19.99 * 100 is 1998.9999999999998 in floating point: the naive conversion is off by a cent.
    assert.notEqual(Math.floor(19.99 * 100), 1999);
    assert.equal(fromBwpAmount({ amount: 0.1, currencyCode: 'USD' }), 10);
    assert.equal(fromBwpAmount({ amount: 10, currencyCode: 'USD' }), 1000);
    assert.equal(fromBwpAmount({ amount: 1.005, currencyCode: 'KWD' }), 1005);
    assert.equal(fromBwpAmount({ amount: 1500, currencyCode: 'JPY' }), 1500);
  });

  void test('0.1 + 0.2 (0.30000000000000004) is finer than a cent and refused, not rounded', () => {
    assert.throws(() => fromBwpAmount({ amount: 0.1 + 0.2, currencyCode: 'USD' }), /decimal places/);
  });

  void test('exponent forms: 1e21 is refused as too large, 1e-7 as too fine, 1e3 is 1000', () => {
    assert.throws(() => fromBwpAmount({ amount: 1e21, currencyCode: 'USD' }), /too large/);
    assert.throws(() => fromBwpAmount({ amount: 1e-7, currencyCode: 'USD' }), /decimal places/);
    assert.equal(fromBwpAmount({ amount: 1e3, currencyCode: 'JPY' }), 1000);
  });

  void test('JPY refuses any fraction; KWD keeps three decimals', () => {
    assert.throws(() => fromBwpAmount({ amount: 100.5, currencyCode: 'JPY' }), /JPY allows none/);
    assert.equal(fromBwpAmount({ amount: 2.125, currencyCode: 'KWD' }), 2125);
    assert.throws(() => fromBwpAmount({ amount: 2.1255, currencyCode: 'KWD' }), MoneyError);
  });

  void test('NaN, Infinity and negative numbers are refused', () => {
    for (const amount of [NaN, Infinity, -Infinity, -1]) {
      assert.throws(() => fromBwpAmount({ amount, currencyCode: 'USD' }), MoneyError);
    }
  });

  void test('property: toBwpAmount then fromBwpAmount is the identity for each currency', () => {
    fc.assert(
      fc.property(fc.constantFrom(...CURRENCIES), fc.nat({ max: 10 ** 13 }), (currency, n) => {
        const m = minor(n);
        const bwp = toBwpAmount(m, currency);
        assert.equal(bwp.currencyCode, currency);
        assert.equal(fromBwpAmount(bwp), m);
      }),
    );
  });
});

void describe('money: arithmetic', () => {
  void test('add, sub, mulInt, sum, cmp, min, max stay exact integers', () => {
    const a = minor(1999);
    const b = minor(1);
    assert.equal(add(a, b), 2000);
    assert.equal(sub(b, a), -1998);
    assert.ok(isNegative(sub(b, a)));
    assert.equal(mulInt(a, 3), 5997);
    assert.equal(sum([a, b, b]), 2001);
    assert.equal(sum([]), 0);
    assert.equal(cmp(a, b), 1);
    assert.equal(cmp(b, a), -1);
    assert.equal(cmp(a, a), 0);
    assert.equal(min(a, b), b);
    assert.equal(max(a, b), a);
    assert.ok(isZero(ZERO));
  });

  void test('results beyond 2^53 minor units throw instead of losing precision (bigint inside)', () => {
    const big = minor(Number.MAX_SAFE_INTEGER);
    assert.throws(() => add(big, minor(1)), MoneyError);
    assert.throws(() => mulInt(minor(2 ** 40), 2 ** 20), MoneyError);
    assert.throws(() => minor(1.5), MoneyError);
    // The product would overflow a double's exact range, but the share is exact through bigint.
    assert.equal(prorate(minor(2 ** 50), 3, 4), 3 * 2 ** 48);
  });

  void test('prorate shares are cumulative floors: the last unit absorbs the rounding', () => {
    const tax = minor(100);
    const shares = [0, 1, 2, 3].map((k) => prorate(tax, k, 3));
    assert.deepEqual(shares, [0, 33, 66, 100]);
  });
});

void describe('money: allocate (largest remainder)', () => {
  void test('splits 10.00 over three weights exactly, extra cents to the largest remainders', () => {
    const shares = allocate(minor(1000), [minor(1), minor(1), minor(1)]);
    assert.deepEqual(shares, [334, 333, 333]);
    assert.deepEqual(allocate(minor(100), [minor(3), minor(1)]), [75, 25]);
  });

  void test('caps: a share never exceeds its cap; the excess goes to the others', () => {
    const shares = allocate(minor(1000), [minor(900), minor(100)], [minor(500), minor(1000)]);
    assert.deepEqual(shares, [500, 500]);
  });

  void test('caps: throws when the total is more than the caps allow', () => {
    assert.throws(() => allocate(minor(1001), [minor(1), minor(1)], [minor(500), minor(500)]), MoneyError);
  });

  void test('zero weights split equally; a zero total gives zeros', () => {
    assert.deepEqual(allocate(minor(5), [ZERO, ZERO]), [3, 2]);
    assert.deepEqual(allocate(ZERO, [minor(1), minor(2)]), [0, 0]);
  });

  const weightsAndCaps = fc
    .array(fc.tuple(fc.nat({ max: 10 ** 9 }), fc.nat({ max: 10 ** 9 })), { minLength: 1, maxLength: 12 })
    .chain((pairs) => {
      const capSum = pairs.reduce((acc, [, c]) => acc + c, 0);
      return fc.tuple(fc.constant(pairs), fc.nat({ max: capSum }));
    });

  void test('property: allocations sum exactly to the total and never exceed a cap', () => {
    fc.assert(
      fc.property(weightsAndCaps, ([pairs, total]) => {
        const weights = pairs.map(([w]) => minor(w));
        const caps = pairs.map(([, c]) => minor(c));
        const shares = allocate(minor(total), weights, caps);
        assert.equal(sum(shares), total);
        shares.forEach((s, i) => {
          assert.ok(s >= 0, 'no negative share');
          assert.ok(s <= caps[i]!, `share ${s} above cap ${caps[i]}`);
        });
      }),
    );
  });

  void test('property: without caps each share is within one minor unit of the exact proportion', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 10 ** 6 }), { minLength: 1, maxLength: 10 }),
        fc.nat({ max: 10 ** 9 }),
        (ws, total) => {
          const weights = ws.map((w) => minor(w));
          const shares = allocate(minor(total), weights);
          const W = ws.reduce((a, b) => a + b, 0);
          assert.equal(sum(shares), total);
          shares.forEach((s, i) => assert.ok(Math.abs(s - (total * ws[i]!) / W) < 1 + 1e-6));
        },
      ),
    );
  });

  void test('type guard: a plain number is not a Minor (arithmetic goes through this module)', () => {
    const a = minor(1);
    // @ts-expect-error a + b is a plain number, not assignable to Minor
    const bad: Minor = a + a;
    assert.equal(bad, 2);
  });
});
