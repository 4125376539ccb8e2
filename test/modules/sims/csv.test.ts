import { describe, expect, it } from 'vitest';
import { csvCell, csvLine } from '../../../src/lib/csv.js';
import { parseCsv, simCsvLine, unguardCell } from '../../../src/modules/sims/sims.csv.js';
import type { PublicSim } from '../../../src/modules/sims/sims.schemas.js';
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

  it('defuses formula cells in every text cell, never in numbers, and the import undoes it', () => {
    expect(csvCell('=HYPERLINK("x")')).toBe(`"'=HYPERLINK(""x"")"`);
    for (const start of ['=', '+', '-', '@']) expect(csvCell(`${start}1+1`)).toBe(`'${start}1+1`);
    expect(csvCell('\t=1')).toBe("'\t=1");
    expect(csvCell('\r=1')).toBe(`"'\r=1"`);
    expect(csvCell(-5)).toBe('-5');
    expect(csvCell({ '=x': 1 })).toBe('"{""=x"":1}"');
    expect(csvLine(['a', '@b', null, 3])).toBe("a,'@b,,3\r\n");
    expect(unguardCell("'=SUM(A1)")).toBe('=SUM(A1)');
    expect(unguardCell("'plain")).toBe("'plain");
  });

  it('guards each tag of a SIM and every column, including a hand-entered status', () => {
    const sim = { iccid: '8988280666000000019', tags: ['ok', '=1+1'], label: '@cmd', status: '=HYPERLINK("http://evil")', custom_fields: {} } as unknown as PublicSim;
    const line = simCsvLine(sim);
    expect(line).toContain("ok;'=1+1");
    expect(line).toContain("'@cmd");
    expect(line).toContain(`"'=HYPERLINK(""http://evil"")"`);
    expect(line.split(',').some((cell) => /^[=+\-@]/.test(cell))).toBe(false);
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
