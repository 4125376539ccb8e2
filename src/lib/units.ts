/**
 * Volume units. 1NCE reports data volumes in MB where 1 MB = 1024 KB = 1,048,576 bytes
 * (1NCE v2 documentation). Every conversion of polled usage, quotas and Data Streamer records
 * goes through here so bytes stay integers and one definition of "MB" exists.
 */

export const BYTES_PER_MB = 1_048_576;

/**
 * Converts a 1NCE MB value (number or decimal string such as "0.002803") to integer bytes.
 * Decimal strings are converted without floating-point drift; returns null for garbage.
 */
export function mbToBytes(value: number | string | null | undefined): number | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'number') return Number.isFinite(value) ? Math.round(value * BYTES_PER_MB) : null;
  const text = value.trim();
  const match = /^(-?)(\d*)(?:\.(\d+))?$/.exec(text);
  if (match === null || (match[2] === '' && match[3] === undefined)) return null;
  const sign = match[1] === '-' ? -1 : 1;
  const whole = BigInt(match[2] === '' ? '0' : match[2]!);
  const fraction = match[3] ?? '';
  const scale = 10n ** BigInt(fraction.length);
  const numerator = (whole * scale + BigInt(fraction === '' ? '0' : fraction)) * BigInt(BYTES_PER_MB);
  // Round half up on the exact rational value.
  const bytes = (numerator * 2n + scale) / (2n * scale);
  return sign * Number(bytes);
}

/** Converts integer bytes to MB (for display and for talking to 1NCE). */
export function bytesToMb(bytes: number): number {
  return bytes / BYTES_PER_MB;
}
