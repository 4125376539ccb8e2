/**
 * SMS text encoding and splitting (3GPP TS 23.038 / 23.040), as pure functions.
 *
 * A text that fits the GSM 7-bit default alphabet (basic table plus the extension table, whose
 * characters cost an escape septet each) is sent with dcs 0; anything else as UCS-2 (dcs 8).
 * One SMS carries 140 octets: 160 septets or 70 UCS-2 units. A concatenated message spends 6
 * octets of every part on the user data header `05 00 03 <ref> <total> <part>`, leaving 153
 * septets or 67 UCS-2 units per part. 1NCE takes the text itself as payload (it packs the
 * septets), so parts are split here and each is sent with its own UDH.
 */

/** The GSM 03.38 basic table (position = septet value); 0x1B is the escape to the extension table. */
const GSM7_BASIC =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\u001bÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?' +
  '¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';

/** Characters of the extension table: each is sent as ESC + one septet, so it costs two. */
const GSM7_EXTENSION = '\f^{}\\[~]|€';

const BASIC = new Set([...GSM7_BASIC].filter((c) => c !== '\u001b'));
const EXTENSION = new Set([...GSM7_EXTENSION]);

/** Single-part and per-part capacities: 140 octets, minus the 6-octet UDH when concatenated. */
export const SMS_LIMITS = {
  GSM7: { single: 160, part: 153 },
  UCS2: { single: 70, part: 67 },
} as const;

/** The protocol's limit: the UDH counts parts in one octet. */
export const MAX_PARTS = 255;

export type SmsTextEncoding = keyof typeof SMS_LIMITS;

/** Data coding scheme 1NCE expects for each encoding. */
export const DCS: Record<SmsTextEncoding, 0 | 8> = { GSM7: 0, UCS2: 8 };

/** One part ready to send. */
export interface SmsPart {
  /** The part's text (1NCE encodes it according to `dcs`). */
  text: string;
  /** Hex UDH for concatenated messages, undefined for a single SMS. */
  udh: string | undefined;
  partNumber: number;
  /** Septets (GSM7) or UTF-16 units (UCS2) this part uses. */
  units: number;
}

export interface EncodedSms {
  encoding: SmsTextEncoding;
  dcs: 0 | 8;
  /** Total septets (GSM7) or UTF-16 units (UCS2) of the whole text. */
  units: number;
  /** Concatenation reference shared by the parts (undefined for a single SMS). */
  ref: number | undefined;
  parts: SmsPart[];
}

/** Septets a character costs in GSM-7 (2 for extension characters), or undefined when it has none. */
export function gsm7Cost(char: string): 1 | 2 | undefined {
  if (BASIC.has(char)) return 1;
  if (EXTENSION.has(char)) return 2;
  return undefined;
}

/** True when every character of `text` is in the GSM-7 basic or extension table. */
export function isGsm7(text: string): boolean {
  for (const char of text) if (gsm7Cost(char) === undefined) return false;
  return true;
}

/** The encoding a text needs: GSM7 when it fits the default alphabet, UCS2 otherwise. */
export function detectEncoding(text: string): SmsTextEncoding {
  return isGsm7(text) ? 'GSM7' : 'UCS2';
}

/** Septets (GSM7) or UTF-16 code units (UCS2) of `text` in `encoding`. */
export function countUnits(text: string, encoding: SmsTextEncoding): number {
  if (encoding === 'UCS2') return text.length;
  let septets = 0;
  for (const char of text) septets += gsm7Cost(char) ?? 1;
  return septets;
}

/** `050003<ref><total><part>` in upper-case hex. */
export function concatUdh(ref: number, total: number, part: number): string {
  const octet = (n: number) => n.toString(16).toUpperCase().padStart(2, '0');
  return `050003${octet(ref)}${octet(total)}${octet(part)}`;
}

/**
 * Cuts `text` into chunks of at most `capacity` units without splitting an escape sequence
 * (GSM7) or a surrogate pair (UCS2), since either half alone would render as garbage.
 */
function chunk(text: string, encoding: SmsTextEncoding, capacity: number): Array<{ text: string; units: number }> {
  const chunks: Array<{ text: string; units: number }> = [];
  let current = '';
  let units = 0;
  for (const char of text) {
    const cost = encoding === 'GSM7' ? (gsm7Cost(char) ?? 1) : char.length;
    if (units + cost > capacity) {
      chunks.push({ text: current, units });
      current = '';
      units = 0;
    }
    current += char;
    units += cost;
  }
  if (current !== '' || chunks.length === 0) chunks.push({ text: current, units });
  return chunks;
}

/**
 * Encodes and splits a message. `ref` is the concatenation reference (0-255) used when the text
 * needs more than one part; callers pick a random one so two long messages to the same device
 * are not merged by the handset. Throws RangeError past 255 parts.
 */
export function encodeSms(text: string, ref: number): EncodedSms {
  const encoding = detectEncoding(text);
  const units = countUnits(text, encoding);
  const limits = SMS_LIMITS[encoding];
  const dcs = DCS[encoding];
  if (units <= limits.single) {
    return { encoding, dcs, units, ref: undefined, parts: [{ text, udh: undefined, partNumber: 1, units }] };
  }
  const chunks = chunk(text, encoding, limits.part);
  if (chunks.length > MAX_PARTS) throw new RangeError(`message needs ${chunks.length} parts; at most ${MAX_PARTS} are possible`);
  const concatRef = ref & 0xff;
  return {
    encoding,
    dcs,
    units,
    ref: concatRef,
    parts: chunks.map((c, i) => ({ text: c.text, udh: concatUdh(concatRef, chunks.length, i + 1), partNumber: i + 1, units: c.units })),
  };
}
