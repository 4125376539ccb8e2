import { MAX_PARTS, SMS_LIMITS, countUnits, detectEncoding, type SmsTextEncoding } from '../../../../src/modules/sms/sms.encoding';

/**
 * The SMS composer's counter, computed by the server's own encoder (one GSM-7 table for both):
 * the encoding the text needs, units used, parts, and what is left in the last part.
 */
export interface SmsCount {
  encoding: SmsTextEncoding;
  units: number;
  parts: number;
  remaining: number;
  tooLong: boolean;
}

export function countSms(text: string): SmsCount {
  const encoding = detectEncoding(text);
  const units = countUnits(text, encoding);
  const limits = SMS_LIMITS[encoding];
  if (units <= limits.single) return { encoding, units, parts: text === '' ? 0 : 1, remaining: limits.single - units, tooLong: false };
  // Parts never split an escape pair or a surrogate pair: count as the encoder cuts.
  let parts = 1;
  let used = 0;
  for (const char of text) {
    const cost = encoding === 'GSM7' ? countUnits(char, 'GSM7') : char.length;
    if (used + cost > limits.part) {
      parts += 1;
      used = 0;
    }
    used += cost;
  }
  return { encoding, units, parts, remaining: limits.part - used, tooLong: parts > MAX_PARTS };
}

/** The counter's sentence, e.g. "GSM-7 · 162 characters · 2 SMS · 144 left". */
export function describeSmsCount(count: SmsCount): string {
  const name = count.encoding === 'GSM7' ? 'GSM-7' : 'UCS-2 (Unicode)';
  const unit = count.encoding === 'GSM7' ? 'septets' : 'characters';
  if (count.tooLong) return `${name} · ${count.units} ${unit} · more than ${MAX_PARTS} parts: too long`;
  return `${name} · ${count.units} ${unit} · ${count.parts} SMS · ${count.remaining} left in this part`;
}
