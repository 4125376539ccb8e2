import { describe, expect, it } from 'vitest';
import { csvCell, parseCsv, unguardCell } from '../../../src/modules/sims/sims.csv.js';
import { parseSimFilter, parseSort } from '../../../src/modules/sims/sims.filter.js';

describe('SIM CSV', () => {
  it('quotes only when needed and doubles quotes', () => {
    expect(csvCell('plain')).toBe('plain');
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell('two\nlines')).toBe('"two\nlines"');
    expect(csvCell(' edge')).toBe('" edge"');
    expect(csvCell(null)).toBe('');
    expect(csvCell(42)).toBe('42');
    expect(csvCell({ a: 1 })).toBe('"{""a"":1}"');
  });

  it('defuses formula cells in free text only, and the import undoes it', () => {
    expect(csvCell('=HYPERLINK("x")', true)).toBe(`"'=HYPERLINK(""x"")"`);
    expect(csvCell('+882285', false)).toBe('+882285');
    expect(unguardCell("'=SUM(A1)")).toBe('=SUM(A1)');
    expect(unguardCell("'plain")).toBe("'plain");
  });

  it('parses quoted cells, embedded newlines, CRLF, a BOM and blank lines', () => {
    const records = parseCsv('\ufefficcid,label\r\n1,"a, ""b""\nc"\r\n\r\n2,\n');
    expect(records).toEqual([
      { line: 1, cells: ['iccid', 'label'] },
      { line: 2, cells: ['1', 'a, "b"\nc'] },
      { line: 5, cells: ['2', ''] },
    ]);
    expect(() => parseCsv('a\n"open')).toThrow(/unterminated/);
  });
});

describe('SIM filter parsing', () => {
  it('normalises lists, status case and connectivity', () => {
    expect(parseSimFilter({ status: 'enabled,DISABLED', tag: ['a', 'b,a'], connectivity: 'online' })).toMatchObject({
      status: ['Enabled', 'Disabled'],
      tags: ['a', 'b'],
      connectivity: ['ONLINE'],
    });
    expect(() => parseSimFilter({ last_seen_after: 'yesterday' })).toThrow(/not a date/);
    expect(parseSort('-last_seen_at')).toEqual({ field: 'last_seen_at', direction: 'desc' });
    expect(() => parseSort('password')).toThrow(/cannot sort/);
  });
});
