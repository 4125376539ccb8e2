import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withLuhn } from '../../src/lib/identifiers.js';
import { backends, buildTestApp, type TestApp } from '../helpers/app.js';
import { authHeaders } from '../helpers/auth.js';
import { insertAccount, insertSims } from '../helpers/factories.js';

const FLEET = 40;
/** SIM n of the seeded fleet (1-based), with scattered digits so that a part of one identifier is rarely in another. */
const iccidOf = (n: number) => `898828066${String((n * 1_234_567_891) % 1e10).padStart(10, '0')}`;
const seeded = Array.from({ length: FLEET }, (_, i) => {
  const n = i + 1;
  return {
    iccid: iccidOf(n),
    iccid_with_luhn: withLuhn(iccidOf(n)),
    imsi: `901405${String((n * 918_273_645) % 1e9).padStart(9, '0')}`,
    msisdn: `4915${String((n * 104_729_357) % 1e9).padStart(9, '0')}`,
    imei: `35${String((n * 12_997_097_773) % 1e13).padStart(13, '0')}`,
    status: n % 4 === 0 ? 'Disabled' : 'Enabled',
    label: n === 7 ? 'Kühlhaus Nord 50%_off' : n === 8 ? 'Kühlhaus Nord 5000 off' : `Truck-${n}`,
    // Microsecond timestamps, ties and NULLs: what a keyset cursor must get exactly right.
    last_seen_at: n % 5 === 0 ? null : `2026-01-01T00:00:0${n % 7}.00000${(n % 7) + 1}Z`,
  };
});
const byIccid = [...seeded].sort((a, b) => a.iccid.localeCompare(b.iccid));
/** What a substring search must return: computed here, independently of SQL. */
const containing = (term: string) =>
  byIccid
    .filter((s) => [s.iccid_with_luhn, s.imsi, s.msisdn, s.imei, s.label.toLowerCase()].some((f) => f.includes(term.toLowerCase())))
    .map((s) => s.iccid);

describe.each(backends)('SIM search and list paging (%s)', (backend) => {
  let t: TestApp;
  let viewer: Record<string, string>;

  beforeAll(async () => {
    t = await buildTestApp({ backend, env: { API_RATE_LIMIT_RPS: '100000' } });
    viewer = await authHeaders(t, 'viewer');
    const db = t.deps.database.db;
    const accountId = await insertAccount(db, { name: 'search', is_default: true });
    await insertSims(db, seeded.map((sim) => ({ ...sim, account_id: accountId })));
  });
  afterAll(async () => t.close());

  const get = (url: string) => t.app.inject({ method: 'GET', url, headers: viewer });
  const iccidsOf = (body: { items: Array<{ iccid: string }> }) => body.items.map((s) => s.iccid);
  const search = async (q: string) => iccidsOf((await get(`/api/v1/sims?page_size=500&q=${encodeURIComponent(q)}`)).json());

  /** Searches `term` and checks the answer against `containing`, which must include `target`. */
  const expectFound = async (term: string, target: string, q = term) => {
    const expected = containing(term);
    expect(expected).toContain(target);
    expect(await search(q)).toEqual(expected);
  };

  it('finds any part of an ICCID, with or without its Luhn digit', async () => {
    const target = seeded[22]!;
    await expectFound(target.iccid.slice(-7), target.iccid);
    await expectFound(target.iccid_with_luhn.slice(-7), target.iccid);
    await expectFound(target.iccid.slice(9, 15), target.iccid);
    expect(containing(target.iccid.slice(-7))).toEqual([target.iccid]);
  });

  it('finds any part of an IMSI, MSISDN (also written +49 15..., with spaces) and IMEI', async () => {
    const sim = seeded[30]!;
    await expectFound(sim.imsi.slice(6, 13), sim.iccid);
    await expectFound(sim.msisdn.slice(-8), sim.iccid);
    const spaced = `+${sim.msisdn.slice(0, 4)} ${sim.msisdn.slice(4, 8)}-${sim.msisdn.slice(8)}`;
    await expectFound(sim.msisdn, sim.iccid, spaced);
    await expectFound(sim.imei.slice(4, 12), sim.iccid);
  });

  it('finds any part of a label, whatever its case', async () => {
    expect(await search('HLHAUS')).toEqual(containing('hlhaus'));
    expect(containing('hlhaus')).toHaveLength(2);
    expect(await search('UCK-1')).toEqual(containing('uck-1'));
    expect(containing('uck-1')).toHaveLength(11);
  });

  it('matches % and _ literally', async () => {
    expect(await search('50%_')).toEqual([iccidOf(7)]);
    expect(await search('%_o')).toEqual([iccidOf(7)]);
    expect(await search('5_0')).toEqual([]);
  });

  it('matches one or two characters at the start of a field only', async () => {
    expect(await search('tr')).toHaveLength(FLEET - 2);
    expect(await search('ck')).toEqual([]);
    expect(await search('89')).toHaveLength(FLEET);
  });

  it('counts small result sets exactly and says so', async () => {
    const body = (await get('/api/v1/sims?status=Disabled&page_size=3&page=2')).json();
    expect(body).toMatchObject({ total: FLEET / 4, total_is_estimate: false, page: 2, total_pages: 4 });
    const disabled = byIccid.filter((s) => s.status === 'Disabled').map((s) => s.iccid);
    expect(iccidsOf(body)).toEqual(disabled.slice(3, 6));
  });

  it('walks every page by next_cursor exactly once, on a nullable timestamp sort with microseconds', async () => {
    const expected = (
      await t.deps.database.db
        .selectFrom('sims')
        .select('iccid')
        .orderBy('last_seen_at', (ob) => ob.desc().nullsLast())
        .orderBy('iccid')
        .execute()
    ).map((r) => r.iccid);
    const seen: string[] = [];
    let url = '/api/v1/sims?sort=-last_seen_at&page_size=6';
    let pages = 0;
    for (;;) {
      const response = await get(url);
      expect(response.statusCode).toBe(200);
      const body = response.json();
      pages += 1;
      expect(body.page).toBe(pages);
      expect(body.total).toBe(FLEET);
      seen.push(...iccidsOf(body));
      if (body.next_cursor === null) break;
      url = `/api/v1/sims?sort=-last_seen_at&page_size=6&cursor=${body.next_cursor}`;
    }
    expect(seen).toEqual(expected);
    expect(pages).toBe(Math.ceil(FLEET / 6));
  });

  it('refuses a cursor that is not ours or was made for another sort, naming the field', async () => {
    const first = (await get('/api/v1/sims?sort=iccid&page_size=5')).json();
    const otherSort = await get(`/api/v1/sims?sort=-iccid&page_size=5&cursor=${first.next_cursor}`);
    expect(otherSort.statusCode).toBe(400);
    expect(otherSort.json()).toMatchObject({ code: 'invalid_cursor', errors: [{ field: 'querystring.cursor' }] });
    for (const bad of ['bm90LWpzb24', Buffer.from('[1,2,3]').toString('base64url'), Buffer.from('["iccid",0,"1",null]').toString('base64url')]) {
      const response = await get(`/api/v1/sims?cursor=${bad}`);
      expect(response.statusCode).toBe(400);
      expect(response.json().code).toBe('invalid_cursor');
    }
  });
});
