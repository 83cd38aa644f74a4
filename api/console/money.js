// @ts-check
// Amounts arrive from the API as decimal strings, with the currency's decimal places (`exponent`) beside them: the
// page adds up what the operator types and never keeps a currency table of its own. Validation is the server's.

/**
 * Minor units of a decimal string ("12.50" with exponent 2 is 1250n); undefined when it is not an amount.
 * @param {string} s
 * @param {number} exponent
 * @returns {bigint | undefined}
 */
export function minorOf(s, exponent) {
  const m = /^(\d+)(?:\.(\d+))?$/.exec(s.trim());
  if (!m) return undefined;
  const whole = m[1] ?? '0';
  const fraction = m[2] ?? '';
  if (fraction.length > exponent) return undefined;
  return BigInt(whole + fraction.padEnd(exponent, '0'));
}

/**
 * A decimal string of minor units: 1250n with exponent 2 is "12.50"; with 0, "1250"; with 3, "1.250".
 * @param {bigint} v
 * @param {number} exponent
 */
export function formatMinor(v, exponent) {
  const digits = v.toString().padStart(exponent + 1, '0');
  return exponent === 0 ? digits : `${digits.slice(0, -exponent)}.${digits.slice(-exponent)}`;
}

/**
 * "12.50 USD"; a dash when there is no amount.
 * @param {string | null | undefined} amount
 * @param {string} currency
 */
export function money(amount, currency) {
  return amount === null || amount === undefined ? '—' : `${amount} ${currency}`;
}

/**
 * A zero written with the currency's decimal places, for placeholders: "0.00", "0", "0.000".
 * @param {number} exponent
 */
export const zero = (exponent) => formatMinor(0n, exponent);
