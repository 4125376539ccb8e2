/**
 * SIM and device identifiers. All are strings end to end: a 19-20 digit ICCID exceeds 2^53,
 * so it must never pass through a JS number.
 */

/** Luhn check digit (mod 10) for a string of decimal digits. */
export function luhnCheckDigit(digits: string): number {
  let sum = 0;
  // Double every second digit counting from the right of the payload (the check digit is appended after it).
  for (let i = digits.length - 1, double = true; i >= 0; i--, double = !double) {
    let d = digits.charCodeAt(i) - 48;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return (10 - (sum % 10)) % 10;
}

/** True when the last digit of `digits` is the Luhn check digit of the rest. */
export function isLuhnValid(digits: string): boolean {
  if (!/^\d{2,}$/.test(digits)) return false;
  return luhnCheckDigit(digits.slice(0, -1)) === digits.charCodeAt(digits.length - 1) - 48;
}

/** Appends the Luhn check digit. */
export function withLuhn(digits: string): string {
  return digits + String(luhnCheckDigit(digits));
}

/**
 * ICCID as 1NCE uses it: 19 digits without the check digit, or 20 digits whose last digit is
 * the Luhn check digit of the first 19.
 */
export function isValidIccid(value: string): boolean {
  if (/^\d{19}$/.test(value)) return true;
  return /^\d{20}$/.test(value) && isLuhnValid(value);
}

/** The 19-digit form 1NCE uses in paths (`iccid`), from either form. */
export function normalizeIccid(value: string): string {
  return value.length === 20 ? value.slice(0, 19) : value;
}

/** IMSI: exactly 15 digits (MCC + MNC + MSIN). */
export function isValidImsi(value: string): boolean {
  return /^\d{15}$/.test(value);
}

/** IMEI: 15 digits with a Luhn check digit; IMEISV: 16 digits (no check digit). */
export function isValidImei(value: string): boolean {
  if (/^\d{15}$/.test(value)) return isLuhnValid(value);
  return /^\d{16}$/.test(value);
}

/** MSISDN in E.164: up to 15 digits, no leading zero, optional leading '+'. */
export function isValidMsisdn(value: string): boolean {
  return /^\+?[1-9]\d{6,14}$/.test(value);
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A UUID in its canonical text form: checked before comparing with a `uuid` column, which would refuse anything else. */
export function isUuid(value: string): boolean {
  return UUID.test(value);
}
