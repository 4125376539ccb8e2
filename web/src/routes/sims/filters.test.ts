import { describe, expect, it } from 'vitest';
import { apiFilter, filtersFromSearch, nextSort, parseSimSearch, searchFromFilters, withFilter } from './filters';

describe('SIM list filters <-> URL', () => {
  it('round-trips every filter through the URL query', () => {
    const search = parseSimSearch({ q: 'truck', status: 'Enabled,Disabled', tag: 'berlin', connectivity: 'online', quota_below: '20', sort: '-last_seen_at', page: '3', page_size: '100' });
    const filters = filtersFromSearch(search);
    expect(filters).toEqual({
      q: 'truck',
      status: ['Enabled', 'Disabled'],
      tag: ['berlin'],
      account: '',
      connectivity: ['ONLINE'],
      quota_below: 20,
      sort: '-last_seen_at',
      page: 3,
      page_size: 100,
    });
    expect(searchFromFilters(filters)).toEqual(search);
  });

  it('drops invalid and default values instead of sending them to the server', () => {
    expect(parseSimSearch({ q: '  ', status: '<script>', connectivity: 'SIDEWAYS', quota_below: '120', sort: 'password', page: '0', page_size: '7', account: 'not-a-uuid', evil: 'x' })).toEqual({});
    expect(parseSimSearch({ page: '1', page_size: '50', sort: 'iccid' })).toEqual({});
    expect(parseSimSearch({ q: 'a\u0000b' })).toEqual({ q: 'ab' });
  });

  it('keeps an ICCID search as a string (no number precision loss)', () => {
    const f = filtersFromSearch(parseSimSearch({ q: '89882806660010010009' }));
    expect(apiFilter(f)).toEqual({ q: '89882806660010010009' });
  });

  it('a filter change goes back to page 1; sorting cycles asc, desc, default', () => {
    const f = filtersFromSearch({ page: '4' });
    expect(withFilter(f, { tag: ['x'] }).page).toBe(1);
    expect(nextSort('iccid', 'label')).toBe('label');
    expect(nextSort('label', 'label')).toBe('-label');
    expect(nextSort('-label', 'label')).toBe('iccid');
  });

  it('builds the API filter with comma-joined lists and nothing for empty filters', () => {
    expect(apiFilter(filtersFromSearch({}))).toEqual({});
    expect(apiFilter(filtersFromSearch({ status: 'Enabled,Disabled', quota_below: '0' }))).toEqual({ status: 'Enabled,Disabled', quota_below: 0 });
  });
});
