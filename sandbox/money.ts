/**
 * Decimal money for the simulators, in integer minor units (never floating point), so the store's answers are exact to
 * the last cent. Kept local to the sandbox so the simulators do not depend on the service's own money module.
 */

const MINOR_DIGITS: Readonly<Record<string, number>> = {
  BIF: 0,
  CLP: 0,
  ISK: 0,
  JPY: 0,
  KRW: 0,
  PYG: 0,
  UGX: 0,
  VND: 0,
  BHD: 3,
  IQD: 3,
  JOD: 3,
  KWD: 3,
  LYD: 3,
  OMR: 3,
  TND: 3,
};

/** Digits after the decimal point of a currency (ISO 4217; 2 unless listed). */
export function currencyDigits(currency: string): number {
  return MINOR_DIGITS[currency] ?? 2;
}

const DECIMAL = /^(\d+)(?:\.(\d+))?$/;

/**
 * "12.34" in USD -> 1234. Returns null for anything that is not a plain decimal string, or that is finer than the
 * currency allows ("1.005" USD); trailing zeros ("12.340") are fine.
 */
export function parseMinor(value: string, currency: string): number | null {
  const match = DECIMAL.exec(value);
  if (!match) return null;
  const digits = currencyDigits(currency);
  const fraction = match[2] ?? '';
  if (/[^0]/.test(fraction.slice(digits))) return null;
  const minor = Number(match[1]) * 10 ** digits + Number(fraction.slice(0, digits).padEnd(digits, '0') || '0');
  return Number.isSafeInteger(minor) ? minor : null;
}

/** 1234 in USD -> "12.34"; 5 in JPY -> "5". */
export function formatMinor(minor: number, currency: string): string {
  const digits = currencyDigits(currency);
  const sign = minor < 0 ? '-' : '';
  const abs = String(Math.abs(minor)).padStart(digits + 1, '0');
  if (digits === 0) return `${sign}${abs}`;
  return `${sign}${abs.slice(0, -digits)}.${abs.slice(-digits)}`;
}
