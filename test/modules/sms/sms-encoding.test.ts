import { describe, expect, it } from 'vitest';
import { concatUdh, countUnits, detectEncoding, encodeSms, gsm7Cost, isGsm7 } from '../../../src/modules/sms/sms.encoding.js';

describe('GSM-7 alphabet', () => {
  it('accepts the basic table, including its accented and Greek letters', () => {
    expect(isGsm7('Hello @ £$¥ èéùìò Ç Øø Åå ΔΦΓΛΩΠΨΣΘΞ ÆæßÉ ¡¿ ÄÖÑÜ§ äöñüà\r\n')).toBe(true);
  });

  it('costs two septets for each extension character', () => {
    for (const char of ['^', '{', '}', '\\', '[', '~', ']', '|', '€', '\f']) expect(gsm7Cost(char)).toBe(2);
    expect(gsm7Cost('a')).toBe(1);
    expect(countUnits('a€b', 'GSM7')).toBe(4);
  });

  it('falls back to UCS-2 for anything outside both tables', () => {
    expect(detectEncoding('plain text')).toBe('GSM7');
    expect(detectEncoding('Grüße')).toBe('GSM7'); // ü and ß are in the basic table
    expect(detectEncoding('Ça coûte 5€')).toBe('UCS2'); // û is not
    expect(detectEncoding('Привет')).toBe('UCS2');
    expect(detectEncoding('ok 👍')).toBe('UCS2');
    expect(gsm7Cost('\u001b')).toBeUndefined(); // the escape itself is not text
  });
});

describe('encodeSms', () => {
  it('sends up to 160 GSM-7 septets as one SMS without UDH', () => {
    const text = 'x'.repeat(160);
    const sms = encodeSms(text, 0x2a);
    expect(sms).toMatchObject({ encoding: 'GSM7', dcs: 0, units: 160, ref: undefined });
    expect(sms.parts).toEqual([{ text, udh: undefined, partNumber: 1, units: 160 }]);
  });

  it('splits 161 septets into 153 + 8 with concatenation headers', () => {
    const text = 'y'.repeat(161);
    const sms = encodeSms(text, 0xcc);
    expect(sms.ref).toBe(0xcc);
    expect(sms.parts.map((p) => p.units)).toEqual([153, 8]);
    expect(sms.parts.map((p) => p.udh)).toEqual(['050003CC0201', '050003CC0202']);
    expect(sms.parts.map((p) => p.text).join('')).toBe(text);
  });

  it('counts extension characters double: 80 euro signs are 160 septets, 81 need two parts', () => {
    expect(encodeSms('€'.repeat(80), 1).parts).toHaveLength(1);
    const long = encodeSms('€'.repeat(81), 1);
    expect(long.units).toBe(162);
    // 76 euro signs = 152 septets; a 77th would straddle the boundary, so it moves to part 2.
    expect(long.parts.map((p) => p.text.length)).toEqual([76, 5]);
    expect(long.parts.map((p) => p.units)).toEqual([152, 10]);
  });

  it('uses UCS-2 with 70 units per single SMS and 67 per part', () => {
    expect(encodeSms('ж'.repeat(70), 0).parts).toHaveLength(1);
    const sms = encodeSms('ж'.repeat(71), 3);
    expect(sms).toMatchObject({ encoding: 'UCS2', dcs: 8, units: 71 });
    expect(sms.parts.map((p) => p.units)).toEqual([67, 4]);
    expect(sms.parts[0]!.udh).toBe('050003030201');
  });

  it('never splits a surrogate pair across parts', () => {
    const text = 'a'.repeat(66) + '😀' + 'b'; // 66 + 2 + 1 = 69 units: fits one SMS
    expect(encodeSms(text, 0).parts).toHaveLength(1);
    const longer = 'a'.repeat(66) + '😀'.repeat(3); // 72 units: the emoji at 66..67 cannot fit 67
    const sms = encodeSms(longer, 0);
    expect(sms.parts[0]!.text).toBe('a'.repeat(66));
    expect(sms.parts[1]!.text).toBe('😀'.repeat(3));
  });

  it('numbers parts of a long message and keeps the reference to one octet', () => {
    const text = 'z'.repeat(153 * 3 + 1);
    const sms = encodeSms(text, 0x1ff);
    expect(sms.ref).toBe(0xff);
    expect(sms.parts.map((p) => p.udh)).toEqual(['050003FF0401', '050003FF0402', '050003FF0403', '050003FF0404']);
  });

  it('refuses more than 255 parts', () => {
    expect(() => encodeSms('q'.repeat(153 * 255 + 1), 0)).toThrow(RangeError);
    expect(encodeSms('q'.repeat(153 * 255), 0).parts).toHaveLength(255);
  });

  it('formats the UDH as 05 00 03 ref total part', () => {
    expect(concatUdh(0, 2, 1)).toBe('050003000201');
    expect(concatUdh(255, 10, 10)).toBe('050003FF0A0A');
  });
});
