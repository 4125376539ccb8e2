import { describe, expect, it } from 'vitest';
import { isLuhnValid, isValidIccid, isValidImei, isValidImsi, isValidMsisdn, normalizeIccid, withLuhn } from './identifiers.js';

describe('identifiers', () => {
  it('computes Luhn check digits (known IMEI 490154203237518)', () => {
    expect(withLuhn('49015420323751')).toBe('490154203237518');
    expect(isLuhnValid('490154203237518')).toBe(true);
    expect(isLuhnValid('490154203237519')).toBe(false);
  });

  it('accepts 19-digit ICCIDs and 20-digit ones only with a valid check digit', () => {
    const iccid19 = '8988280666000000001';
    expect(isValidIccid(iccid19)).toBe(true);
    const iccid20 = withLuhn(iccid19);
    expect(isValidIccid(iccid20)).toBe(true);
    const wrong = iccid20.slice(0, 19) + String((Number(iccid20[19]) + 1) % 10);
    expect(isValidIccid(wrong)).toBe(false);
    expect(isValidIccid('898828066600000000')).toBe(false);
    expect(isValidIccid('89882806660000000a1')).toBe(false);
    expect(normalizeIccid(iccid20)).toBe(iccid19);
  });

  it('validates IMSI, IMEI/IMEISV and E.164 MSISDN', () => {
    expect(isValidImsi('901405102312345')).toBe(true);
    expect(isValidImsi('90140510231234')).toBe(false);
    expect(isValidImei('490154203237518')).toBe(true);
    expect(isValidImei('490154203237517')).toBe(false);
    expect(isValidImei('4901542032375101')).toBe(true);
    expect(isValidMsisdn('+882285102312345')).toBe(true);
    expect(isValidMsisdn('0123')).toBe(false);
  });
});
