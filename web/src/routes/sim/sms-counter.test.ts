import { describe, expect, it } from 'vitest';
import { encodeSms } from '../../../../src/modules/sms/sms.encoding';
import { countSms, describeSmsCount } from './sms-counter';

describe('SMS part counter', () => {
  it('counts GSM-7 septets, extension characters as two', () => {
    expect(countSms('Hello')).toMatchObject({ encoding: 'GSM7', units: 5, parts: 1, remaining: 155 });
    expect(countSms('{€}')).toMatchObject({ encoding: 'GSM7', units: 6, parts: 1 });
    expect(countSms('')).toMatchObject({ units: 0, parts: 0, remaining: 160 });
  });

  it('switches to 153-septet parts past 160', () => {
    expect(countSms('a'.repeat(160))).toMatchObject({ parts: 1, remaining: 0 });
    expect(countSms('a'.repeat(161))).toMatchObject({ parts: 2, remaining: 145 });
    expect(countSms('a'.repeat(306))).toMatchObject({ parts: 2, remaining: 0 });
    expect(countSms('a'.repeat(307))).toMatchObject({ parts: 3 });
  });

  it('never splits an escape pair: a part that would end in half a € moves it to the next part', () => {
    const text = `${'a'.repeat(152)}€${'a'.repeat(10)}`;
    expect(countSms(text).parts).toBe(encodeSms(text, 1).parts.length);
    expect(countSms(text)).toMatchObject({ parts: 2, remaining: 153 - 12 });
  });

  it('uses UCS-2 (70 / 67) for anything outside GSM-7, emoji as two units', () => {
    expect(countSms('Grüße 👋')).toMatchObject({ encoding: 'UCS2', units: 8, parts: 1, remaining: 62 });
    expect(countSms('ж'.repeat(71))).toMatchObject({ parts: 2 });
    expect(describeSmsCount(countSms('ж'))).toContain('UCS-2');
  });

  it('agrees with the server encoder on part counts for a range of texts', () => {
    for (const text of ['x'.repeat(459), `${'€'.repeat(80)}`, `${'😀'.repeat(40)}`, `${'a'.repeat(66)}😀${'b'.repeat(10)}`]) {
      expect(countSms(text).parts, text.slice(0, 10)).toBe(encodeSms(text, 7).parts.length);
    }
  });

  it('flags a text past 255 parts as too long', () => {
    expect(countSms('a'.repeat(153 * 256)).tooLong).toBe(true);
  });
});
