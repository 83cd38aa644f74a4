/**
 * Money as integer minor units of a currency (cents for USD, yen for JPY, fils for KWD).
 *
 * `Minor` is a branded number: `a + b` on two Minor values yields a plain `number`, which the compiler refuses where a
 * Minor is expected. That is the project's guard against floating-point money: every sum, difference, product and
 * split goes through this module, which checks that results stay safe integers and uses bigint where a product could
 * pass 2^53. Amounts enter as decimal strings (the store endpoint) or JSON numbers (Buy with Prime) and are read
 * digit by digit, never by multiplying a float.
 *
 * Pure code: no I/O, no Node built-ins (it also runs inside Temporal workflow sandboxes).
 */

export type Minor = number & { readonly __brand: 'Minor' };

export class MoneyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MoneyError';
  }
}

// ISO 4217 minor-unit exponents. Listed explicitly (rather than defaulting to 2) so that a typo such as "USS" is
// refused instead of being silently treated as a two-decimal currency.
const EXPONENT_0 = 'BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF';
const EXPONENT_3 = 'BHD IQD JOD KWD LYD OMR TND';
const EXPONENT_4 = 'CLF UYW';
const EXPONENT_2 =
  'AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BOV BRL BSD BTN BWP BYN BZD CAD CDF CHE CHF ' +
  'CHW CNY COP COU CRC CUC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GTQ GYD HKD HNL HTG ' +
  'HUF IDR ILS INR IRR JMD KES KGS KHR KPW KYD KZT LAK LBP LKR LRD LSL MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK ' +
  'MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD PAB PEN PGK PHP PKR PLN QAR RON RSD RUB SAR SBD SCR SDG SEK SGD SHP SLE ' +
  'SLL SOS SRD SSP STN SVC SYP SZL THB TJS TMT TOP TRY TTD TWD TZS UAH USD USN UYU UZS VED VES WST XCD XCG YER ZAR ' +
  'ZMW ZWG ZWL';

const EXPONENTS: ReadonlyMap<string, number> = new Map([
  ...EXPONENT_0.split(' ').map((c) => [c, 0] as const),
  ...EXPONENT_2.split(' ').map((c) => [c, 2] as const),
  ...EXPONENT_3.split(' ').map((c) => [c, 3] as const),
  ...EXPONENT_4.split(' ').map((c) => [c, 4] as const),
]);

/** Number of decimal places of an ISO 4217 currency (USD 2, JPY 0, KWD 3). Throws MoneyError for an unknown code. */
export function currencyExponent(code: string): number {
  const exponent = typeof code === 'string' ? EXPONENTS.get(code) : undefined;
  if (exponent === undefined) throw new MoneyError(`${describe(code)} is not an ISO 4217 currency code we know`);
  return exponent;
}

/** True when `code` is an ISO 4217 currency this module can handle. */
export function isKnownCurrency(code: string): boolean {
  return typeof code === 'string' && EXPONENTS.has(code);
}

const MAX = BigInt(Number.MAX_SAFE_INTEGER);

function fromBig(v: bigint, what: string): Minor {
  if (v > MAX || v < -MAX) throw new MoneyError(`${what} is too large to be held exactly`);
  return Number(v) as Minor;
}

/** A checked Minor: `n` must be a safe integer (number of minor units, may be negative). */
export function minor(n: number): Minor {
  if (!Number.isSafeInteger(n)) throw new MoneyError(`${describe(n)} is not a whole number of minor units`);
  // Normalise -0 so that JSON and equality behave.
  return (n === 0 ? 0 : n) as Minor;
}

export const ZERO = 0 as Minor;

export function add(a: Minor, b: Minor): Minor {
  return minor(a + b);
}

export function sub(a: Minor, b: Minor): Minor {
  return minor(a - b);
}

/** `m × k` for an integer `k` (a quantity), exact through bigint. */
export function mulInt(m: Minor, k: number): Minor {
  if (!Number.isSafeInteger(k)) throw new MoneyError(`${describe(k)} is not a whole number to multiply by`);
  return fromBig(BigInt(m) * BigInt(k), 'the product');
}

/**
 * `floor(m × part / whole)`: the share of `m` that `part` out of `whole` units carry, exact through bigint. Used to
 * spread a line's tax or discount over its units so that shares of 1..whole units are cumulative and the last unit
 * absorbs the rounding (share of `whole` units is exactly `m`).
 */
export function prorate(m: Minor, part: number, whole: number): Minor {
  if (!Number.isSafeInteger(part) || !Number.isSafeInteger(whole) || whole <= 0 || part < 0) {
    throw new MoneyError(`cannot prorate over ${describe(part)} of ${describe(whole)} units`);
  }
  const n = BigInt(m) * BigInt(part);
  const d = BigInt(whole);
  // bigint division truncates toward zero; floor it for negative amounts.
  const q = n / d;
  return fromBig(n % d !== 0n && n < 0n ? q - 1n : q, 'the share');
}

export function sum(list: readonly Minor[]): Minor {
  let total = 0n;
  for (const m of list) total += BigInt(m);
  return fromBig(total, 'the sum');
}

export function cmp(a: Minor, b: Minor): -1 | 0 | 1 {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function eq(a: Minor, b: Minor): boolean {
  return a === b;
}

export function min(a: Minor, b: Minor): Minor {
  return a <= b ? a : b;
}

export function max(a: Minor, b: Minor): Minor {
  return a >= b ? a : b;
}

export function isZero(m: Minor): boolean {
  return m === 0;
}

export function isNegative(m: Minor): boolean {
  return m < 0;
}

export function isPositive(m: Minor): boolean {
  return m > 0;
}

const DECIMAL_RE = /^(\d+)(?:\.(\d+))?$/;

/**
 * Parses a decimal string ("10.00", "1000", "1.500") into minor units of `currency`, digit by digit. Refuses
 * negatives, signs, exponents, blanks and more fraction digits than the currency has (even zeros: "10.000" is not
 * a USD amount), each with a MoneyError saying why.
 */
export function parseDecimal(s: string, currency: string): Minor {
  const exponent = currencyExponent(currency);
  if (typeof s !== 'string') throw new MoneyError(`${describe(s)} is not a decimal string`);
  if (s.trim() === '') throw new MoneyError('the amount is blank');
  if (/^\s*-/.test(s)) throw new MoneyError(`"${s}" is negative; amounts must be zero or more`);
  const match = DECIMAL_RE.exec(s);
  if (!match) throw new MoneyError(`"${s}" is not a decimal amount such as "10.00"`);
  const whole = match[1]!;
  const fraction = match[2] ?? '';
  if (fraction.length > exponent) {
    const allowed = exponent === 0 ? 'none' : `at most ${exponent}`;
    throw new MoneyError(`"${s}" has ${fraction.length} decimal places but ${currency} allows ${allowed}`);
  }
  return fromBig(BigInt(whole + fraction.padEnd(exponent, '0')), `"${s}"`);
}

/** Formats minor units as a decimal string with exactly the currency's decimal places ("10.00", "1000", "1.500"). */
export function formatDecimal(m: Minor, currency: string): string {
  const exponent = currencyExponent(currency);
  const value = minor(m);
  const digits = String(Math.abs(value)).padStart(exponent + 1, '0');
  const sign = value < 0 ? '-' : '';
  if (exponent === 0) return sign + digits;
  return `${sign}${digits.slice(0, -exponent)}.${digits.slice(-exponent)}`;
}

/** The one way money is written for people: "10.00 USD", "1000 JPY", "1.500 KWD" (messages, summaries, logs). */
export function formatMoney(m: Minor, currency: string): string {
  return `${formatDecimal(m, currency)} ${currency}`;
}

/**
 * Rewrites JavaScript's exponent notation ("1e+21", "1.5e-7") as plain decimal digits. The input is the shortest
 * round-trip string of a double, so the decimal it denotes is exactly the value BwP meant to send.
 */
function expandExponent(s: string): string {
  const match = /^(\d+)(?:\.(\d+))?e([+-]\d+)$/.exec(s);
  if (!match) throw new MoneyError(`"${s}" is not a number we can read exactly`);
  const intPart = match[1]!;
  const fracPart = match[2] ?? '';
  const exp = Number(match[3]);
  const digits = intPart + fracPart;
  const point = intPart.length + exp; // position of the decimal point within `digits`
  if (point >= digits.length) return digits + '0'.repeat(point - digits.length);
  if (point <= 0) return `0.${'0'.repeat(-point)}${digits}`;
  return `${digits.slice(0, point)}.${digits.slice(point)}`;
}

/**
 * Converts a BwP money value (a JSON number) to exact minor units. It reads the shortest string that round-trips the
 * double (String(19.99) is "19.99"), so no float arithmetic happens; a value such as 0.1 + 0.2 (0.30000000000000004)
 * or 1e-7 is finer than the currency allows and is refused, as is anything too large to hold exactly (1e21).
 */
export function fromBwpAmount(a: { amount: number; currencyCode: string }): Minor {
  if (a === null || typeof a !== 'object') throw new MoneyError(`${describe(a)} is not an amount`);
  const { amount, currencyCode } = a;
  if (typeof amount !== 'number' || !Number.isFinite(amount)) {
    throw new MoneyError(`${describe(amount)} is not a finite amount`);
  }
  if (amount < 0) throw new MoneyError(`${amount} is negative; amounts must be zero or more`);
  const shortest = String(amount);
  return parseDecimal(shortest.includes('e') ? expandExponent(shortest) : shortest, currencyCode);
}

/** The BwP form of an amount: the JSON number whose shortest string is the decimal amount. */
export function toBwpAmount(m: Minor, currency: string): { amount: number; currencyCode: string } {
  return { amount: Number(formatDecimal(m, currency)), currencyCode: currency };
}

/**
 * Splits `total` over `weights` by largest remainder: each share is floor(total × weight / Σweights), and the minor
 * units left over go one each to the largest remainders (earlier index first on ties). The shares always sum to
 * exactly `total`. When every weight is zero the total is split equally.
 *
 * With `caps`, no share exceeds its cap: shares that would are fixed at their cap and the rest is split again over the
 * others by the same weights (weights of zero then fall back to the room left under each cap). Throws MoneyError when
 * `total` exceeds the sum of the caps.
 */
export function allocate(total: Minor, weights: readonly Minor[], caps?: readonly Minor[]): Minor[] {
  minor(total);
  if (isNegative(total)) throw new MoneyError('cannot allocate a negative amount');
  for (const w of weights)
    if (!Number.isSafeInteger(w) || w < 0) throw new MoneyError('weights must be whole and >= 0');
  if (caps !== undefined) {
    if (caps.length !== weights.length) throw new MoneyError('caps and weights must have the same length');
    for (const c of caps) if (!Number.isSafeInteger(c) || c < 0) throw new MoneyError('caps must be whole and >= 0');
    if (total > sum(caps)) {
      throw new MoneyError(`cannot allocate ${total} minor units under caps that sum to ${sum(caps)}`);
    }
  }
  if (weights.length === 0) {
    if (!isZero(total)) throw new MoneyError('cannot allocate an amount over no weights');
    return [];
  }
  if (caps === undefined) return largestRemainder(total, weights);

  const result: Minor[] = weights.map(() => ZERO);
  let active = weights.map((_, i) => i).filter((i) => caps[i]! > 0);
  let remaining = total;
  while (remaining > 0 && active.length > 0) {
    const anyWeight = active.some((i) => weights[i]! > 0);
    const ws = active.map((i) => (anyWeight ? weights[i]! : caps[i]!));
    const shares = largestRemainder(remaining, ws);
    const over = active.filter((i, k) => shares[k]! > caps[i]!);
    if (over.length === 0) {
      active.forEach((i, k) => (result[i] = shares[k]!));
      remaining = ZERO;
      break;
    }
    // Fix the overflowing shares at their caps and split what is left over the others again.
    for (const i of over) {
      result[i] = caps[i]!;
      remaining = sub(remaining, caps[i]!);
    }
    active = active.filter((i) => !over.includes(i));
  }
  return result;
}

function largestRemainder(total: Minor, weights: readonly Minor[]): Minor[] {
  let sumW = 0n;
  for (const w of weights) sumW += BigInt(w);
  const ws = sumW === 0n ? weights.map(() => 1n) : weights.map((w) => BigInt(w));
  const W = sumW === 0n ? BigInt(weights.length) : sumW;
  const t = BigInt(total);
  const base = ws.map((w) => (t * w) / W);
  const rem = ws.map((w) => (t * w) % W);
  let left = t - base.reduce((a, b) => a + b, 0n);
  const order = ws.map((_, i) => i).sort((a, b) => (rem[b]! > rem[a]! ? 1 : rem[b]! < rem[a]! ? -1 : a - b));
  for (const i of order) {
    if (left === 0n) break;
    base[i] = base[i]! + 1n;
    left -= 1n;
  }
  return base.map((b) => fromBig(b, 'a share'));
}

function describe(v: unknown): string {
  if (typeof v === 'string') return `"${v}"`;
  if (typeof v === 'number' || typeof v === 'boolean' || v === null || v === undefined) return String(v);
  return typeof v;
}
