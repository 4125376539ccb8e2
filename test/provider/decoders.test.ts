import { describe, expect, it } from 'vitest';
import {
  DecodeError,
  decodeConnectivity,
  decodeConnectivityInfo,
  decodeEvent,
  decodeIdResponse,
  decodeLimits,
  decodeList,
  decodeOrder,
  decodeProduct,
  decodeQuota,
  decodeSim,
  decodeSms,
  decodeSupportTicket,
  decodeUsage,
  idFromLocation,
  parseProviderDate,
  toNumber,
  unwrapEvents,
} from '../../src/provider/provider.decoders.js';
import { summarizeErrorBody } from '../../src/provider/transport.js';

const observedSim = {
  iccid: '8988228066602300001',
  imsi: '901405102300001',
  msisdn: '882285102300001',
  imei: '8682390510000001',
  imei_lock: false,
  status: 'Enabled',
  activation_date: '2021-08-26T12:13:06.000+0000',
  ip_address: '10.210.176.1',
  current_quota: 500,
  quota_status: { id: 0, description: 'More than 20% available' },
  current_quota_SMS: 250,
  quota_status_SMS: { id: 0, description: 'More than 20% available' },
  label: 'Test API',
};

describe('parseProviderDate', () => {
  it.each([
    ['2021-08-26T12:13:06.000+0000', '2021-08-26T12:13:06.000Z'],
    ['2021-08-26T14:13:06.000+0200', '2021-08-26T12:13:06.000Z'],
    ['2028-03-14T16:10:29.000+00:00', '2028-03-14T16:10:29.000Z'],
    ['2021-08-26T10:13:06-02:00', '2021-08-26T12:13:06.000Z'],
    ['2019-01-21T09:36:17Z', '2019-01-21T09:36:17.000Z'],
    ['2019-09-29T07:33:15.123Z', '2019-09-29T07:33:15.123Z'],
    // space-separated, no zone: 1NCE means UTC (new Date() would read local time)
    ['2031-11-26 00:00:00', '2031-11-26T00:00:00.000Z'],
    ['2023-08-06 09:59:05', '2023-08-06T09:59:05.000Z'],
    ['2021-11-14', '2021-11-14T00:00:00.000Z'],
    ['2021-08-26T12:13:06', '2021-08-26T12:13:06.000Z'],
  ])('parses %s', (input, iso) => {
    expect(parseProviderDate(input)?.toISOString()).toBe(iso);
  });

  it.each([['TOTAL'], [''], ['2021-02-30'], ['2021-13-01'], ['yesterday'], ['2021-08-26T25:00:00Z']])('rejects %s', (input) => {
    expect(parseProviderDate(input)).toBeNull();
  });

  it('returns null for non-strings', () => {
    expect(parseProviderDate(undefined)).toBeNull();
    expect(parseProviderDate(12345)).toBeNull();
    expect(parseProviderDate(null)).toBeNull();
  });
});

describe('decodeSim', () => {
  it('decodes the observed v1 list element', () => {
    const sim = decodeSim(observedSim);
    expect(sim).toMatchObject({
      iccid: '8988228066602300001',
      imsi: '901405102300001',
      imeiLock: false,
      state: 'enabled',
      providerStatus: 'Enabled',
      label: 'Test API',
      dataQuotaBytes: 500 * 1_048_576,
      smsQuota: 250,
      iccidWithLuhn: null,
      dataQuotaStatus: { id: 0, description: 'More than 20% available', thresholdReachedAt: null, exceededAt: null },
    });
    expect(sim.activationDate?.toISOString()).toBe('2021-08-26T12:13:06.000Z');
    expect(sim.raw).toBe(observedSim);
  });

  it('tolerates omitted optional fields, string numbers and unknown status strings', () => {
    const sim = decodeSim({ iccid: '8988228066602300002', status: 'Activated', current_quota: '500', current_quota_SMS: '250' });
    expect(sim).toMatchObject({ state: 'enabled', providerStatus: 'Activated', label: null, imei: null, dataQuotaBytes: 524_288_000, smsQuota: 250 });
    expect(decodeSim({ iccid: '1', status: 'Deactivated' }).state).toBe('disabled');
    expect(decodeSim({ iccid: '1', status: 'Expired' }).state).toBe('expired');
    expect(decodeSim({ iccid: '1', status: 'Frozen' }).state).toBe('unknown');
    expect(decodeSim({ iccid: '1', imei_lock: null, label: null }).imeiLock).toBe(false);
  });

  it('rejects objects without an ICCID', () => {
    expect(() => decodeSim({ imsi: '1' })).toThrow(DecodeError);
    expect(() => decodeSim('garbage')).toThrow(DecodeError);
    expect(() => decodeSim(null)).toThrow(DecodeError);
  });
});

describe('decodeList', () => {
  it('drops undecodable items and counts them', () => {
    const seen: number[] = [];
    const result = decodeList([observedSim, { nope: true }, { ...observedSim, iccid: '2' }], decodeSim, (i) => seen.push(i));
    expect(result.items.map((s) => s.iccid)).toEqual(['8988228066602300001', '2']);
    expect(result.invalid).toBe(1);
    expect(seen).toEqual([1]);
  });

  it('refuses a non-array body', () => {
    expect(() => decodeList({ results: [] }, decodeSim)).toThrow(DecodeError);
  });
});

describe('decodeConnectivity', () => {
  it('decodes the observed v1 ATTACHED sample (numeric operator ids, no pdp_context)', () => {
    const c = decodeConnectivity({
      status: 'ATTACHED',
      location: {
        iccid: '1',
        imsi: '2',
        last_updated: '2021-10-28 00:41:39',
        last_updated_gprs: '2021-09-23 12:00:47',
        operator_id: '90',
        operator: { id: 90, name: 'Plus', country: { id: 157, name: 'Poland', iso_code: 'pl' } },
        country: { country_id: '157', name: 'Poland', country_code: '48', mcc: '260', iso_code: 'pl', latitude: '52.000000' },
      },
      services: ['GPRS'],
    });
    expect(c).toMatchObject({
      status: 'ATTACHED',
      operator: { id: '90', name: 'Plus' },
      country: { name: 'Poland', isoCode: 'PL', mcc: '260', dialCode: '48' },
      services: ['GPRS'],
      pdpContext: null,
      rat: null,
      trafficLimitReached: null,
    });
    expect(c.lastUpdated?.toISOString()).toBe('2021-09-23T12:00:47.000Z');
  });

  it('decodes the v2 shape (status object, pdp_contexts array, RAT)', () => {
    const c = decodeConnectivity({
      status: { description: 'ONLINE' },
      data_traffic_limit_state: { description: 'NOT_REACHED' },
      location: { iccid: '1', imsi: '2', last_updated: '2023-08-06 09:59:05', operator: { id: 2, name: 'T-Mobile', mnc: '01', country: { id: 74, name: 'Germany', iso_code: 'de' } } },
      pdp_contexts: [{ pdp_context_id: '92415', created: '2019-12-04T08:12:02.000Z', rat_type: { rat_type_id: '2', description: 'NB-IoT' }, apn: 'iot.1nce.net', ue_ip_address: '10.0.0.1' }],
      services: ['GPRS'],
    });
    expect(c).toMatchObject({ status: 'ONLINE', trafficLimitReached: false, rat: 'NB-IoT', operator: { id: '2', name: 'T-Mobile', mnc: '01' } });
    expect(c.pdpContext).toMatchObject({ id: '92415', apn: 'iot.1nce.net', ueIpAddress: '10.0.0.1' });
    expect(c.pdpContext?.createdAt?.toISOString()).toBe('2019-12-04T08:12:02.000Z');
    expect(c.country?.isoCode).toBe('DE');
  });

  it('maps unknown status strings to UNKNOWN and BLOCKED through', () => {
    expect(decodeConnectivity({ status: { description: 'BLOCKED' } }).status).toBe('BLOCKED');
    expect(decodeConnectivity({ status: 'ROAMING_SOMEWHERE' })).toMatchObject({ status: 'UNKNOWN', providerStatus: 'ROAMING_SOMEWHERE' });
    expect(() => decodeConnectivity({ services: [] })).toThrow(DecodeError);
  });
});

describe('decodeConnectivityInfo', () => {
  it('decodes the observed nested location', () => {
    const info = decodeConnectivityInfo({
      subscriber_info: {
        success: true,
        state: 'assumed_idle',
        location: { current_location_retrieved: false, age_of_location: 1, cell_global_id: { mcc: '260', mnc: '3', lac: 53113, cid: 46261 } },
      },
      request_timestamp: '2023-07-04T12:46:10.728+0000',
      reply_timestamp: '2023-07-04T12:46:10.930+0000',
    });
    expect(info).toMatchObject({
      success: true,
      state: 'assumed_idle',
      location: { currentLocationRetrieved: false, ageOfLocationMinutes: 1, cellGlobalId: { mcc: '260', mnc: '3', lac: 53113, cid: 46261 } },
      ussd: null,
    });
    expect(info.repliedAt?.toISOString()).toBe('2023-07-04T12:46:10.930Z');
  });

  it('accepts the older flat variant and ussd_info', () => {
    const info = decodeConnectivityInfo({
      subscriber_info: { success: true, state: 'not_provided_from_vlr', age_of_location: '5', cell_global_id: { mcc: 262, mnc: 1, lac: '1', cid: '2' } },
      ussd_info: { success: false, error: 'unreachable' },
    });
    expect(info.location).toMatchObject({ ageOfLocationMinutes: 5, cellGlobalId: { mcc: '262', mnc: '1', lac: 1, cid: 2 } });
    expect(info.ussd).toEqual({ success: false, error: 'unreachable' });
  });
});

describe('decodeUsage', () => {
  it('converts MB strings to integer bytes, SMS strings to counts and splits off TOTAL', () => {
    const usage = decodeUsage({
      stats: [
        { date: '2021-11-14', data: { volume: '0.002803', volume_tx: '0.001', volume_rx: '0.001803' }, sms: { volume: '3', volume_tx: '1', volume_rx: '2' } },
        { date: '2021-11-13', data: { volume: '1.5', volume_tx: '0.5', volume_rx: '1' }, sms: { volume: '0', volume_tx: '0', volume_rx: '0' } },
        { date: 'TOTAL', data: { volume: '1.502803', volume_tx: '0.501', volume_rx: '1.001803' }, sms: { volume: '3', volume_tx: '1', volume_rx: '2' } },
      ],
    });
    expect(usage.days.map((d) => d.date)).toEqual(['2021-11-13', '2021-11-14']);
    expect(usage.days[1]).toEqual({ date: '2021-11-14', dataBytes: 2939, dataTxBytes: 1049, dataRxBytes: 1891, smsCount: 3, smsTx: 1, smsRx: 2 });
    expect(usage.days[0]!.dataBytes).toBe(1_572_864);
    expect(usage.total).toEqual({ dataBytes: 1_575_803, dataTxBytes: 525_337, dataRxBytes: 1_050_467, smsCount: 3, smsTx: 1, smsRx: 2 });
  });

  it('handles the TOTAL-only answer to nonsense dates and rows with missing parts', () => {
    const usage = decodeUsage({ stats: [{ date: 'TOTAL', data: { volume: '0', volume_tx: '0', volume_rx: '0' } }] });
    expect(usage.days).toEqual([]);
    expect(usage.total).toMatchObject({ dataBytes: 0, smsCount: 0 });
  });

  it('rejects unparseable rows', () => {
    expect(() => decodeUsage({ stats: [{ date: 'last tuesday' }] })).toThrow(DecodeError);
    expect(() => decodeUsage([])).toThrow(DecodeError);
  });
});

describe('decodeQuota', () => {
  it('decodes the observed v1 data quota (non-ISO dates) into bytes', () => {
    const q = decodeQuota(
      { volume: 479.949998, total_volume: 500, expiry_date: '2031-11-26 00:00:00', peak_throughput: 128000, last_volume_added: 500, last_status_change_date: '2021-08-26 12:13:22', threshold_percentage: 20 },
      'data',
    );
    expect(q).toMatchObject({ service: 'data', remaining: Math.round(479.949998 * 1_048_576), total: 524_288_000, peakThroughputBps: 128000, thresholdPercentage: 20, state: null });
    expect(q.expiresAt?.toISOString()).toBe('2031-11-26T00:00:00.000Z');
    expect(q.lastStatusChangeAt?.toISOString()).toBe('2021-08-26T12:13:22.000Z');
  });

  it('decodes the v2 SimsQuota with a negative volume and a status object', () => {
    const q = decodeQuota(
      { id: 1, status: { id: 0, description: 'EXHAUSTED' }, volume: -1.5, total_volume: 500, accumulated_total_volume: 1000, service: 'data', threshold_percentage: 20, threshold_volume: 100, expiry_date: '2029-01-01T00:00:00.000Z', created_at: '2024-08-24T13:13:21Z' },
      'data',
    );
    expect(q).toMatchObject({ remaining: -1_572_864, accumulatedTotal: 1_048_576_000, thresholdVolume: 104_857_600, state: 'EXHAUSTED' });
    expect(q.createdAt?.toISOString()).toBe('2024-08-24T13:13:21.000Z');
  });

  it('keeps SMS quotas as counts and reads string volumes', () => {
    const q = decodeQuota({ volume: '240', total_volume: 250, status: { id: 1 } }, 'sms');
    expect(q).toMatchObject({ service: 'sms', remaining: 240, total: 250, state: 'ACTIVE' });
    expect(decodeQuota({ volume: 1, status: { description: 'PAUSED' } }, 'sms').state).toBe('UNKNOWN');
    expect(() => decodeQuota({ volume: 'lots' }, 'sms')).toThrow(DecodeError);
    expect(() => decodeQuota({ total_volume: 1 }, 'sms')).toThrow(DecodeError);
  });
});

describe('decodeSms', () => {
  it('decodes the documented v1 MT example (string retry_count, +0000 dates)', () => {
    const sms = decodeSms({
      id: 7476638,
      submit_date: '2021-12-01T07:43:34.000+0000',
      delivery_date: '2021-12-01T07:43:34.000+0000',
      expiry_date: '2021-12-02T07:43:34.000+0000',
      final_date: '2021-12-01T07:43:35.000+0000',
      retry_count: '0',
      source_address: '1234567',
      iccid: '8988',
      msisdn: '8822',
      imsi: '',
      payload: 'This is a 1NCE MT-SMS Test!',
      status: { id: 4, description: 'DELIVERED' },
      sms_type: { id: 1, description: 'MT' },
    });
    expect(sms).toMatchObject({ id: '7476638', status: 'DELIVERED', direction: 'MT', retryCount: 0, payload: 'This is a 1NCE MT-SMS Test!' });
    expect(sms.finalAt?.toISOString()).toBe('2021-12-01T07:43:35.000Z');
  });

  it('falls back to status/type ids and tolerates unknown statuses', () => {
    expect(decodeSms({ id: '5', status: { id: 3 }, sms_type: { id: 2 } })).toMatchObject({ status: 'BUFFERED', direction: 'MO' });
    expect(decodeSms({ id: 5, status: { id: 1, description: 'QUEUED' } })).toMatchObject({ status: 'UNKNOWN', providerStatus: 'QUEUED', direction: 'UNKNOWN' });
    expect(() => decodeSms({ payload: 'no id' })).toThrow(DecodeError);
  });
});

describe('decodeEvent', () => {
  it('decodes the v2 nested Event', () => {
    const e = decodeEvent({
      id: 123,
      event_type: { id: 4, description: 'Delete PDP Context' },
      timestamp: '2023-03-01T12:07:09.000Z',
      alert: true,
      user: null,
      description: 'PDP Context deleted.',
      event_source: { id: 0, description: 'Network' },
      event_severity: { id: 1, description: 'Warn' },
      organisation: { id: 2, name: 'Org' },
      endpoint: { id: 1, name: 'x', ip_address: '10.199.6.39', imei: '869951030000000' },
      sim: { id: 110, iccid: '8988317000000000000', msisdn: '456' },
      imsi: { id: 110, imsi: '901430000000114' },
      detail: { id: 1, name: 'Telekom' },
    });
    expect(e).toMatchObject({ id: '123', typeId: 4, type: 'Delete PDP Context', source: 'Network', severity: 'WARN', alert: true, iccid: '8988317000000000000', imsi: '901430000000114', imei: '869951030000000', ipAddress: '10.199.6.39' });
    expect(e.timestamp?.toISOString()).toBe('2023-03-01T12:07:09.000Z');
  });

  it('decodes the flat v1 SIM_Event and unwraps its envelope', () => {
    const body = { events: [{ timestamp: '2018-05-07T14:08:05.000+0000', event_type: "Status of SIM changed from 'Issued' to 'Activated'", iccid: '8988', event_severity: 'Info', alert: false }], totalEvents: 1, totalPages: 1 };
    const [raw] = unwrapEvents(body) as unknown[];
    const e = decodeEvent(raw);
    expect(e).toMatchObject({ severity: 'INFO', iccid: '8988', description: "Status of SIM changed from 'Issued' to 'Activated'", id: null });
    expect(unwrapEvents([1, 2])).toEqual([1, 2]);
  });

  it('accepts a detail that is a JSON-encoded string', () => {
    expect(decodeEvent({ timestamp: '2021-01-01T00:00:00Z', detail: '{quota: {volume: 1}}' }).detail).toBe('{quota: {volume: 1}}');
  });
});

describe('orders, products, support, limits, ids', () => {
  it('decodes an Order', () => {
    const o = decodeOrder({
      order_number: 2000000001,
      order_type: 'TOPUP',
      order_date: '2021-11-14T19:12:43.000+0000',
      order_status: 'COMPLETED',
      invoice_amount: '19.99',
      currency: 'EUR',
      sims: [{ iccid: '8988', _links: [] }],
      products: [{ product_id: 1001, quantity: 1 }],
    });
    expect(o).toMatchObject({ orderNumber: '2000000001', type: 'TOPUP', invoiceAmount: '19.99', iccids: ['8988'], products: [{ productId: '1001', quantity: 1 }] });
  });

  it('decodes a Product with camelCase quirks', () => {
    const p = decodeProduct({ id: 1001, product: '1NCE IoT FlexSIM - Standard', minQuantity: 1, maxQuantityPerCustomer: '1000', min_contract_duration: 120, one_time_charges: [{ name: 'provisionCharge', amount_net: 10, currency: 'EUR' }] });
    expect(p).toMatchObject({ id: '1001', maxQuantityPerCustomer: 1000, minContractDurationMonths: 120, oneTimeCharges: [{ name: 'provisionCharge', amountNet: 10, currency: 'EUR' }], recurringCharges: [] });
  });

  it('decodes a support ticket and limits', () => {
    const t = decodeSupportTicket({ caseId: 'C-1', status: 'OPEN', createDate: '2021-11-14T19:12:43.000+0000', communications: [{ id: 1, direction: 'IN', type: 'PORTAL', communicationDate: '2021-11-14 10:00:00' }] });
    expect(t).toMatchObject({ caseId: 'C-1', status: 'OPEN', communications: [{ id: '1', direction: 'IN', type: 'PORTAL' }] });
    const l = decodeLimits({ data: { id: 3, limit: '16', unit: 'MB' }, smsMt: { id: 1, limit: '10', unit: 'SMS' } });
    expect(l).toMatchObject({ data: { id: 3, limit: 16, unit: 'MB' }, smsMt: { limit: 10 }, smsMo: null });
  });

  it('parses ids from Location headers and {id} bodies', () => {
    expect(idFromLocation('https://bss-global.api.1nce.com/internal-global-api/v1/sims/8988/sms/7363280')).toBe('7363280');
    expect(idFromLocation('https://api.1nce.com/management-api/v1/orders/1234')).toBe('1234');
    expect(idFromLocation('/v2/orders/1234/?x=1')).toBe('1234');
    expect(idFromLocation(null)).toBeNull();
    expect(decodeIdResponse({ id: '42' })).toBe('42');
    expect(decodeIdResponse({ id: 42 })).toBe('42');
    expect(() => decodeIdResponse({})).toThrow(DecodeError);
  });

  it('reads numbers from strings only when they are numeric', () => {
    expect(toNumber('0.002803')).toBe(0.002803);
    expect(toNumber('3')).toBe(3);
    expect(toNumber('')).toBeNull();
    expect(toNumber('abc')).toBeNull();
    expect(toNumber(Number.NaN)).toBeNull();
  });
});

describe('summarizeErrorBody', () => {
  it('reads the v2, Spring, token and bare-message shapes', () => {
    expect(summarizeErrorBody('{"error_code":1000,"error_token":"NotFound","message":"SIM not found"}', 'application/json')).toEqual({ code: 'NotFound', message: 'SIM not found' });
    expect(
      summarizeErrorBody('{"timestamp":"2021-11-14T19:12:43.315+0000","status":401,"error":"Unauthorized","message":"The token is invalid: Illegal base64 character 20","path":"/internal-global-api/v1/sims/1"}', 'application/json;charset=UTF-8'),
    ).toEqual({ code: 'Unauthorized', message: 'The token is invalid: Illegal base64 character 20' });
    expect(summarizeErrorBody('{"statusCode":400,"errorCode":"BadCredentials","message":"Incorrect username or password."}', 'application/json')).toEqual({ code: 'BadCredentials', message: 'Incorrect username or password.' });
    expect(summarizeErrorBody('{"message":"Payment method used is not valid."}', null)).toEqual({ message: 'Payment method used is not valid.' });
  });

  it('reduces HTML pages to their title and survives garbage', () => {
    expect(summarizeErrorBody('<html><head><title>503 Service Unavailable</title></head><body>…</body></html>', 'text/html')).toEqual({ message: '503 Service Unavailable' });
    expect(summarizeErrorBody('<!DOCTYPE html><h1>Bad Gateway</h1>', null)).toEqual({ message: 'Bad Gateway' });
    expect(summarizeErrorBody('{"broken', 'application/json')).toEqual({ message: '{"broken' });
    expect(summarizeErrorBody('', null)).toEqual({});
  });
});
