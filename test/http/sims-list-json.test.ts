import fastJsonStringify from 'fast-json-stringify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { forSerialization } from '../../src/http/serialization.js';
import { parseSimFilter, parseSort } from '../../src/modules/sims/sims.filter.js';
import { SimPageSchema, type PublicSim } from '../../src/modules/sims/sims.schemas.js';
import { backends, buildTestApp, type TestApp } from '../helpers/app.js';
import { authHeaders } from '../helpers/auth.js';
import { updateSimsByIccid } from '../helpers/factories.js';
import { sweepFleet } from '../modules/sims/fixtures.js';

/**
 * GET /api/v1/sims sends SIMs PostgreSQL rendered as JSON (docs/adr/0024). Every page of several
 * filters and sorts, walked by cursor and by number, is compared with what the route sent before:
 * the objects of `toPublicSim` (here through the export, which still builds them) written by the
 * route's serialiser. Byte for byte where no SIM of the page has custom fields (jsonb spaces its
 * own), parsed-equal everywhere.
 */

const PAGE_SIZE = 7;
const serialise: (page: unknown) => string = fastJsonStringify(forSerialization(JSON.parse(JSON.stringify(SimPageSchema))) as never);

const QUERIES: Array<Record<string, string>> = [
  {},
  { status: 'Enabled' },
  { tag: 'north,south' },
  { tag: 'south' },
  { q: '0000' },
  { sort: '-last_seen_at' },
  { sort: 'data_remaining_pct' },
  { sort: '-data_remaining_pct', status: 'Enabled,Disabled' },
  { sort: '-status' },
  { sort: 'last_synced_at' },
  { quota_below: '50', sort: '-activation_date' },
];

describe.each(backends)('SIM list pages rendered by PostgreSQL (%s)', (backend) => {
  let t: TestApp;
  let viewer: Record<string, string>;

  beforeAll(async () => {
    t = await buildTestApp({ backend, simulator: { fleetSize: 40 }, env: { API_RATE_LIMIT_RPS: '100000' } });
    viewer = await authHeaders(t, 'viewer');
    await sweepFleet(t, true);
    const db = t.deps.database.db;
    const iccids = (await db.selectFrom('sims').select('iccid').orderBy('iccid').execute()).map((r) => r.iccid);
    await updateSimsByIccid(db, { tags: ['north', 'trucks'], label: 'Quote " back \\ slash\n\u0001 é 😀', custom_fields: { vehicle: 'B-XY 1', nested: { a: [1, 2.5, null, true], '10': 'x' } } }, iccids[0]!);
    await updateSimsByIccid(db, { tags: ['south'], label: null }, iccids[1]!);
    await updateSimsByIccid(db, { custom_fields: { '': '', 'ключ': 'значение' } }, iccids[5]!);
    await updateSimsByIccid(db, { tags: ['north'], data_total_bytes: 3, data_remaining_bytes: 1, last_seen_at: new Date('1969-12-31T23:59:59.999Z') }, iccids[2]!);
    await updateSimsByIccid(db, { data_total_bytes: 100, data_remaining_bytes: 100, last_seen_at: null, activation_date: null }, iccids[3]!);
    await updateSimsByIccid(db, { data_total_bytes: 1000, data_remaining_bytes: 0, current_quota_mb: '1024.50' }, iccids[4]!);
  });
  afterAll(async () => {
    await t.close();
  });

  const get = (url: string) => t.app.inject({ method: 'GET', url, headers: viewer });

  /** The whole filtered, sorted list as the objects path writes it (the export: toPublicSim per row). */
  async function objectsPath(query: Record<string, string>): Promise<PublicSim[]> {
    const { sort, ...filter } = query;
    const lines: PublicSim[] = [];
    for await (const chunk of t.deps.fleet.sims.export(parseSimFilter(filter), parseSort(sort), 'ndjson')) {
      lines.push(...chunk.trim().split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as PublicSim));
    }
    return lines;
  }

  it.each(QUERIES)('sends the pages the objects path sent: %o', async (query) => {
    const all = await objectsPath(query);
    const totalPages = Math.ceil(all.length / PAGE_SIZE);
    const base = `/api/v1/sims?${new URLSearchParams({ ...query, page_size: String(PAGE_SIZE) }).toString()}`;
    let cursor: string | null = null;
    let withoutCustomFields = 0;
    for (let page = 1; page <= Math.max(1, totalPages); page++) {
      const byNumber = await get(`${base}&page=${page}`);
      const byCursor = page === 1 ? byNumber : await get(`${base}&cursor=${cursor!}`);
      for (const response of [byNumber, byCursor]) {
        expect(response.statusCode).toBe(200);
        expect(response.headers['content-type']).toBe('application/json; charset=utf-8');
        const body = response.json<{ next_cursor: string | null }>();
        const items = all.slice((page - 1) * PAGE_SIZE, page * PAGE_SIZE);
        const expected = serialise({ items, total: all.length, total_is_estimate: false, page, page_size: PAGE_SIZE, total_pages: totalPages, next_cursor: body.next_cursor });
        expect(body).toEqual(JSON.parse(expected));
        expect(body.next_cursor === null).toBe(items.length < PAGE_SIZE);
        if (items.every((sim) => Object.keys(sim.custom_fields).length === 0)) {
          expect(response.body).toBe(expected);
          withoutCustomFields++;
        }
      }
      // Page numbers and cursors agree on everything, the cursor included.
      expect(byCursor.body).toBe(byNumber.body);
      cursor = byNumber.json<{ next_cursor: string | null }>().next_cursor;
    }
    if (query.tag !== 'north,south') expect(withoutCustomFields).toBeGreaterThan(0);
  });

  it('gives the MCP tool and other callers of sims.list the same page as objects', async () => {
    const response = await get('/api/v1/sims?page_size=50&sort=iccid');
    const page = await t.deps.fleet.sims.list(parseSimFilter({}), parseSort('iccid'), 1, 50);
    expect(page).toEqual(response.json());
    expect(typeof page.items[0]!.custom_fields).toBe('object');
    expect(serialise(page)).toBe(serialise(response.json()));
  });

  it('keeps its errors: problem+json for a bad query', async () => {
    const response = await get('/api/v1/sims?sort=secret_hash');
    expect(response.statusCode).toBe(400);
    expect(response.headers['content-type']).toContain('application/problem+json');
  });
});
