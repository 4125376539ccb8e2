import { sql, type ExpressionBuilder, type Kysely, type SelectQueryBuilder } from 'kysely';
import type { DB, NewRow, RowUpdate } from '../../db/schema.js';
import { Conflict } from '../../errors.js';
import { simFilterWhere, type SimFilter, type SimSort } from './sims.filter.js';
import { PUBLIC_SIM_JSON_SQL, type SimListRow, type SimRow } from './sims.view.js';
import { createTotalCounter, type TotalCounter } from '../../db/counting.js';

/** Columns lists and exports read: all but `provider_raw`, whose jsonb would be parsed only to be dropped. */
const LIST_COLUMNS = [
  'id',
  'account_id',
  'iccid',
  'iccid_with_luhn',
  'imsi',
  'imsi_2',
  'current_imsi',
  'msisdn',
  'imei',
  'imei_lock',
  'status',
  'activation_date',
  'ip_address',
  'current_quota_mb',
  'quota_status_id',
  'quota_status_description',
  'current_quota_sms',
  'quota_status_sms_id',
  'quota_status_sms_description',
  'label',
  'tags',
  'custom_fields',
  'connectivity_status',
  'last_seen_at',
  'data_total_bytes',
  'data_remaining_bytes',
  'sms_total',
  'sms_remaining',
  'data_expiry_date',
  'data_remaining_pct',
  'source',
  'last_synced_at',
  'created_at',
  'updated_at',
] as const satisfies ReadonlyArray<keyof SimListRow>;

/**
 * Where a keyset page continues: the last row's sort value (as PostgreSQL's text, so timestamps
 * keep their microseconds and numerics their digits) and ICCID.
 */
export interface KeysetCursor {
  value: string | null;
  iccid: string;
}

/** The sort column as text, selected beside the row so the next page can start exactly after it. */
const sortKeyOf = (sort: SimSort) => sql<string | null>`${sql.ref(sort.field)}::text`.as('sort_key');

/** The cursor continuing after the last of `rows`. */
function cursorAfter(rows: Array<{ iccid: string; sort_key: string | null }>): KeysetCursor | undefined {
  const last = rows[rows.length - 1];
  return last === undefined ? undefined : { value: last.sort_key, iccid: last.iccid };
}

/** One row of a provider page as `upsertMany` writes it (our own columns are never touched). */
export type ProviderSimRow = Pick<
  NewRow<'sims'>,
  | 'account_id'
  | 'iccid'
  | 'iccid_with_luhn'
  | 'imsi'
  | 'imsi_2'
  | 'current_imsi'
  | 'msisdn'
  | 'imei'
  | 'imei_lock'
  | 'status'
  | 'activation_date'
  | 'ip_address'
  | 'current_quota_mb'
  | 'quota_status_id'
  | 'quota_status_description'
  | 'current_quota_sms'
  | 'quota_status_sms_id'
  | 'quota_status_sms_description'
  | 'label'
  | 'provider_raw'
>;

/** Per-row outcome of a bulk upsert, compared with the row as it was before the statement. */
export interface UpsertedSim {
  id: number;
  iccid: string;
  inserted: boolean;
  /** Status or data/SMS quota status differs from the stored row. */
  changed: boolean;
  /** Anything 1NCE reports differs (the raw object). */
  modified: boolean;
  old_status: string | null;
  status: string | null;
}

function isUniqueViolation(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === '23505';
}

/** The list order: the sort field with NULLs last, then ICCID (the keyset condition below follows it). */
const sortedBy =
  (sort: SimSort) =>
  <O>(query: SelectQueryBuilder<DB, 'sims', O>): SelectQueryBuilder<DB, 'sims', O> =>
    sort.field === 'iccid'
      ? query.orderBy('iccid', sort.direction)
      : query.orderBy(sort.field, (ob) => (sort.direction === 'asc' ? ob.asc() : ob.desc()).nullsLast()).orderBy('iccid', 'asc');

/** The API's JSON of a SIM, rendered by PostgreSQL (sims.view.ts), as a list page reads it. */
const publicSimJson = sql<string>`${sql.raw(PUBLIC_SIM_JSON_SQL)}`.as('json');

/** A list page's row: the SIM as the API's JSON text, and what its cursor is made of. */
export interface RenderedSim {
  iccid: string;
  sort_key: string | null;
  json: string;
}

/** A page of the SIM list and its total (an estimate past the exact-count limit). */
export interface SimPage {
  rows: RenderedSim[];
  total: number;
  totalIsEstimate: boolean;
  /** Where the next page starts, when this one is full. */
  next: KeysetCursor | undefined;
}

/** Kysely queries over `sims`; plain rows in and out. `counter` counts list totals (tests shrink its limit). */
export function createSimsRepo(db: Kysely<DB>, counter: TotalCounter = createTotalCounter(db)) {
  const orderAndKeyset = (sort: SimSort, after: KeysetCursor | undefined) => {
    const { field, direction } = sort;
    return (eb: ExpressionBuilder<DB, 'sims'>) => {
      if (after === undefined) return eb.and([]);
      if (field === 'iccid') return eb('iccid', direction === 'asc' ? '>' : '<', after.iccid);
      const col = eb.ref(field);
      if (after.value === null) return eb.and([eb(col, 'is', null), eb('iccid', '>', after.iccid)]);
      // The text form is compared as the column's type (PostgreSQL infers the parameter's type).
      // NULLs sort last in both directions, then ICCID ascending breaks ties.
      return eb.or([
        eb(col, direction === 'asc' ? '>' : '<', after.value as never),
        eb.and([eb(col, '=', after.value as never), eb('iccid', '>', after.iccid)]),
        eb(col, 'is', null),
      ]);
    };
  };

  return {
    /**
     * SIMs of an account never given their quotas (no total, no expiry), least data left (as
     * listed) first, then most recently seen; the SIMs `except` names are left out.
     */
    neverDetailed(accountId: string, except: { ids: number[]; iccids: string[] }, limit: number): Promise<Array<{ id: number; iccid: string }>> {
      return db
        .selectFrom('sims')
        .select(['id', 'iccid'])
        .where('account_id', '=', accountId)
        .where('data_total_bytes', 'is', null)
        .where('data_expiry_date', 'is', null)
        .where('id', 'not in', except.ids.length > 0 ? except.ids : [0])
        .where('iccid', 'not in', except.iccids.length > 0 ? except.iccids : [''])
        .orderBy(sql`current_quota_mb asc nulls last`)
        .orderBy(sql`last_seen_at desc nulls last`)
        .orderBy('id')
        .limit(limit)
        .execute();
    },

    findByIccid(iccid: string, trx: Kysely<DB> = db): Promise<SimRow | undefined> {
      return simLookups.byIccid(trx, iccid);
    },

    findManyByIccid(iccids: string[], trx: Kysely<DB> = db): Promise<SimRow[]> {
      if (iccids.length === 0) return Promise.resolve([]);
      return trx.selectFrom('sims').selectAll().where('iccid', 'in', iccids).execute();
    },

    /**
     * One page of a filtered, sorted list and its total: by page number (OFFSET), or after a
     * keyset cursor (deep pages at the cost of a shallow one). The total is exact up to the
     * counter's limit and an estimate past it (docs/adr/0012); a short page by number needs no count.
     * Rows come back as the API's JSON text (docs/adr/0024).
     */
    async page(
      filter: SimFilter,
      sort: SimSort,
      page: number,
      pageSize: number,
      after?: KeysetCursor,
    ): Promise<SimPage> {
      const filtered = db.selectFrom('sims').where(simFilterWhere(filter));
      const offset = (page - 1) * pageSize;
      // The page's ids first, then its rows (a "deferred join"): ordering and skipping carry only
      // ids and sort keys, and only the page's rows are read in full. Without an index for the
      // order (last_seen_at, data_remaining_pct: ADR 0006) that halves a page's time (ADR 0022).
      const pageIds = filtered
        .select('id')
        .$call((query) => (after === undefined ? query.offset(offset) : query.where(orderAndKeyset(sort, after))))
        .$call(sortedBy(sort))
        .limit(pageSize);
      const rows: RenderedSim[] = await db.selectFrom('sims').select(['iccid', publicSimJson]).select(sortKeyOf(sort)).where('id', 'in', pageIds).$call(sortedBy(sort)).execute();
      const next = rows.length === pageSize ? cursorAfter(rows) : undefined;
      if (after === undefined && rows.length < pageSize && (rows.length > 0 || page === 1)) {
        return { rows, total: offset + rows.length, totalIsEstimate: false, next };
      }
      const { total, isEstimate } = await counter.total(filtered, JSON.stringify(filter));
      return { rows, total, totalIsEstimate: isEstimate, next };
    },

    /** The next keyset batch after `after` (exports: constant memory, no OFFSET) and where the one after it starts. */
    async batch(
      filter: SimFilter,
      sort: SimSort,
      after: KeysetCursor | undefined,
      limit: number,
    ): Promise<{ rows: SimListRow[]; next: KeysetCursor | undefined }> {
      const rows = await db
        .selectFrom('sims')
        .select(LIST_COLUMNS)
        .select(sortKeyOf(sort))
        .where(simFilterWhere(filter))
        .where(orderAndKeyset(sort, after))
        .$call(sortedBy(sort))
        .limit(limit)
        .execute();
      return { rows, next: cursorAfter(rows) };
    },

    /** Inserts a manually registered SIM; 409 when the ICCID exists. */
    async insert(row: NewRow<'sims'>): Promise<SimRow> {
      try {
        return await db.insertInto('sims').values(row).returningAll().executeTakeFirstOrThrow();
      } catch (error) {
        if (isUniqueViolation(error)) throw new Conflict(`SIM ${row.iccid} already exists`, 'sim_exists');
        throw error;
      }
    },

    update(id: number, patch: RowUpdate<'sims'>, trx: Kysely<DB> = db): Promise<SimRow> {
      return trx.updateTable('sims').set(patch).where('id', '=', id).returningAll().executeTakeFirstOrThrow();
    },

    /**
     * Bulk upsert of one provider page: a single multi-row INSERT ... ON CONFLICT (iccid), with the
     * previous state read in the same statement (a CTE sees the table as it was before the insert),
     * so change detection costs no extra round trip.
     */
    async upsertMany(rows: ProviderSimRow[], syncedAt: Date, trx: Kysely<DB> = db): Promise<UpsertedSim[]> {
      if (rows.length === 0) return [];
      const iccids = rows.map((r) => r.iccid);
      const values = rows.map((r) => ({ ...r, source: 'provider' as const, last_synced_at: syncedAt }));
      const result = await trx
        .with('old', (q) =>
          q
            .selectFrom('sims')
            .select(['iccid', 'status', 'quota_status_id', 'quota_status_sms_id', 'provider_raw'])
            .where('iccid', 'in', iccids),
        )
        .with('up', (q) =>
          q
            .insertInto('sims')
            .values(values)
            .onConflict((oc) =>
              oc.column('iccid').doUpdateSet((eb) => ({
                account_id: eb.ref('excluded.account_id'),
                iccid_with_luhn: eb.ref('excluded.iccid_with_luhn'),
                imsi: eb.ref('excluded.imsi'),
                imsi_2: eb.ref('excluded.imsi_2'),
                current_imsi: eb.ref('excluded.current_imsi'),
                msisdn: eb.ref('excluded.msisdn'),
                imei: eb.ref('excluded.imei'),
                imei_lock: eb.ref('excluded.imei_lock'),
                status: eb.ref('excluded.status'),
                activation_date: eb.ref('excluded.activation_date'),
                ip_address: eb.ref('excluded.ip_address'),
                current_quota_mb: eb.ref('excluded.current_quota_mb'),
                quota_status_id: eb.ref('excluded.quota_status_id'),
                quota_status_description: eb.ref('excluded.quota_status_description'),
                current_quota_sms: eb.ref('excluded.current_quota_sms'),
                quota_status_sms_id: eb.ref('excluded.quota_status_sms_id'),
                quota_status_sms_description: eb.ref('excluded.quota_status_sms_description'),
                label: eb.ref('excluded.label'),
                provider_raw: eb.ref('excluded.provider_raw'),
                source: eb.ref('excluded.source'),
                last_synced_at: eb.ref('excluded.last_synced_at'),
              })),
            )
            .returning(['id', 'iccid', 'status', 'quota_status_id', 'quota_status_sms_id', 'provider_raw']),
        )
        .selectFrom('up')
        .leftJoin('old', 'old.iccid', 'up.iccid')
        .select([
          'up.id as id',
          'up.iccid as iccid',
          'up.status as status',
          'old.status as old_status',
          sql<boolean>`old.iccid is null`.as('inserted'),
          sql<boolean>`old.iccid is not null and (old.status is distinct from up.status
            or old.quota_status_id is distinct from up.quota_status_id
            or old.quota_status_sms_id is distinct from up.quota_status_sms_id)`.as('changed'),
          sql<boolean>`old.provider_raw is distinct from up.provider_raw`.as('modified'),
        ])
        .execute();
      return result;
    },
  };
}

export type SimsRepo = ReturnType<typeof createSimsRepo>;

/**
 * The reads of `sims` other modules make to name and select SIMs: the SIM kernel's look-ups
 * (sim-ref.ts) and the bulk selection. Plain functions over the connection they are given, like
 * sims.writes.ts, so a request-path look-up builds nothing.
 */
export const simLookups = {
  /** The SIM with this (normalised) ICCID, or undefined. */
  byIccid(db: Kysely<DB>, iccid: string): Promise<SimRow | undefined> {
    return db.selectFrom('sims').selectAll().where('iccid', '=', iccid).executeTakeFirst();
  },

  /** The id, account and MSISDN of the SIM with this ICCID, or undefined. */
  refByIccid(db: Kysely<DB>, iccid: string): Promise<{ id: number; iccid: string; account_id: string; msisdn: string | null } | undefined> {
    return db.selectFrom('sims').select(['id', 'iccid', 'account_id', 'msisdn']).where('iccid', '=', iccid).executeTakeFirst();
  },

  /** Ids of the stored SIMs among these ICCIDs (unknown ones are left out). */
  idsByIccid(db: Kysely<DB>, iccids: string[]): Promise<Array<{ id: number; iccid: string }>> {
    return db.selectFrom('sims').select(['id', 'iccid']).where('iccid', 'in', iccids).execute();
  },

  /** Ids of the SIMs a list filter matches, by ICCID, at most `limit`. */
  idsMatching(db: Kysely<DB>, filter: SimFilter, limit: number): Promise<Array<{ id: number; iccid: string }>> {
    return db.selectFrom('sims').select(['id', 'iccid']).where(simFilterWhere(filter)).orderBy('iccid').limit(limit).execute();
  },

  /** ICCIDs of the SIMs among `ids` whose data expiry has passed, by ICCID. */
  async expiredIccids(db: Kysely<DB>, ids: number[]): Promise<string[]> {
    if (ids.length === 0) return [];
    const rows = await db
      .selectFrom('sims')
      .select('iccid')
      .where('id', '=', sql<number>`any(${ids}::bigint[])`)
      .where('data_expiry_date', '<=', sql<Date>`now()`)
      .orderBy('iccid')
      .execute();
    return rows.map((r) => r.iccid);
  },
};
