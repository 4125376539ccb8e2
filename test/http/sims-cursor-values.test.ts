import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends, buildTestApp, type TestApp } from '../helpers/app.js';
import { authHeaders } from '../helpers/auth.js';
import { insertAccount, insertSims } from '../helpers/factories.js';

/**
 * A `next_cursor` carries the last row's sort value, so any value the platform stores must make a
 * cursor the platform accepts back: labels of the longest length the API allows, in a script of
 * several bytes a character, and labels from 1NCE with characters the API itself would refuse.
 */
const LONG = 'Kühlhaus Nordstraße – Halle ✓ '.repeat(9).slice(0, 255);
const LABELS = ['A first', LONG, 'B\ttabbed from 1NCE', 'C middle', `${LONG.slice(0, 254)}~`, 'D last', 'E', 'F'];

describe.each(backends)('SIM list cursors over any stored sort value (%s)', (backend) => {
  let t: TestApp;
  let viewer: Record<string, string>;

  beforeAll(async () => {
    t = await buildTestApp({ backend, env: { API_RATE_LIMIT_RPS: '100000' } });
    viewer = await authHeaders(t, 'viewer');
    const db = t.deps.database.db;
    const accountId = await insertAccount(db, { name: 'cursors', is_default: true });
    await insertSims(db, LABELS.map((label) => ({ label, account_id: accountId })));
  });
  afterAll(async () => t.close());

  it.each([1, 2, 3])('walks every page sorted by label, %i SIM(s) a page, whatever label ends a page', async (pageSize) => {
    const expected = [...LABELS].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const seen: string[] = [];
    let url = `/api/v1/sims?sort=label&page_size=${pageSize}`;
    for (let pages = 0; pages < LABELS.length + 1; pages += 1) {
      const response = await t.app.inject({ method: 'GET', url, headers: viewer });
      expect(response.statusCode, response.body).toBe(200);
      const body = response.json<{ items: Array<{ label: string }>; next_cursor: string | null }>();
      seen.push(...body.items.map((s) => s.label));
      if (body.next_cursor === null) break;
      url = `/api/v1/sims?sort=label&page_size=${pageSize}&cursor=${body.next_cursor}`;
    }
    // Byte order: the test database's collation may differ, so compare as sets and by count.
    expect(seen).toHaveLength(LABELS.length);
    expect(new Set(seen)).toEqual(new Set(expected));
  });
});
