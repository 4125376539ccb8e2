import fastJsonStringify from 'fast-json-stringify';
import { Type } from 'typebox';
import { describe, expect, it } from 'vitest';
import { forSerialization } from '../../src/http/serialization.js';
import { DateTime, Nullable } from '../../src/lib/schemas.js';
import { SimDetailSchema, SimPageSchema } from '../../src/modules/sims/sims.schemas.js';

/** Serialises `value` with the schema as written and as rewritten for the serialiser. */
function both(schema: unknown, value: unknown): [string, string] {
  const plain = JSON.parse(JSON.stringify(schema)) as object;
  const asWritten: (v: unknown) => string = fastJsonStringify(plain as never);
  const rewritten: (v: unknown) => string = fastJsonStringify(forSerialization(plain) as never);
  return [asWritten(value), rewritten(value)];
}

const example = (SimPageSchema.properties.items.items as unknown as { examples: Array<Record<string, unknown>> }).examples[0]!;

describe('response serialisation (ADR 0022)', () => {
  it('writes a SIM page byte for byte as the schema as written does: nulls, strings, Dates, numbers', () => {
    const items = [
      example,
      { ...example, imsi: null, label: null, last_seen_at: new Date('2026-01-02T03:04:05.678Z'), data_remaining_pct: 12.5, quota_status_id: null },
      { ...example, activation_date: null, data_total_bytes: 0, data_remaining_pct: 0, source: 'manual', tags: [], custom_fields: { a: [1, null], b: 'x' } },
    ];
    const page = { items, total: 3, total_is_estimate: false, page: 1, page_size: 50, total_pages: 1, next_cursor: null };
    const [asWritten, rewritten] = both(SimPageSchema, page);
    expect(rewritten).toBe(asWritten);
    expect(JSON.parse(rewritten).items[1]).toMatchObject({ imsi: null, last_seen_at: '2026-01-02T03:04:05.678Z', source: 'provider' });
    const [detail, detailRewritten] = both(SimDetailSchema, { ...example, freshness: { last_synced_at: null, age_seconds: 7 } });
    expect(detailRewritten).toBe(detail);
  });

  it('turns nullable primitives into type arrays and string unions into enums, nowhere else', () => {
    const schema = Type.Object({
      at: Nullable(DateTime),
      n: Nullable(Type.Integer({ description: 'count' })),
      mode: Type.Union([Type.Literal('a'), Type.Literal('b')]),
      nested: Nullable(Type.Object({ x: Nullable(Type.String()) })),
      mixed: Type.Union([Type.String(), Type.Integer()]),
    });
    const out = forSerialization(JSON.parse(JSON.stringify(schema))) as { properties: Record<string, Record<string, unknown>> };
    expect(out.properties.at).toEqual({ type: ['string', 'null'], format: 'date-time' });
    expect(out.properties.n).toEqual({ type: ['integer', 'null'], description: 'count' });
    expect(out.properties.mode).toEqual({ type: 'string', enum: ['a', 'b'] });
    // A nullable object keeps its anyOf (its inner nullable string is still rewritten); other unions stay as they are.
    const nested = out.properties.nested as { anyOf: Array<{ properties?: Record<string, unknown> }> };
    expect(nested.anyOf).toHaveLength(2);
    expect(nested.anyOf[0]!.properties!.x).toEqual({ type: ['string', 'null'] });
    expect(out.properties.mixed).toEqual({ anyOf: [{ type: 'string' }, { type: 'integer' }] });
    for (const value of [
      { at: null, n: null, mode: 'a', nested: null, mixed: 'x' },
      { at: new Date(0), n: 3, mode: 'b', nested: { x: null }, mixed: 4 },
      { at: '2026-01-01T00:00:00.000Z', n: 0, mode: 'a', nested: { x: 'y' }, mixed: '' },
    ]) {
      const [asWritten, rewritten] = both(schema, value);
      expect(rewritten).toBe(asWritten);
    }
  });

  it('leaves the schema it is given unchanged (validation and /openapi.json read the same objects)', () => {
    const before = JSON.stringify(SimPageSchema);
    forSerialization(SimPageSchema);
    expect(JSON.stringify(SimPageSchema)).toBe(before);
  });
});
