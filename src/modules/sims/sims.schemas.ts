import { Type, type Static } from 'typebox';
import { CustomFields, DateTime, ICCID_EXAMPLE, Line, Nullable, Page } from '../../lib/schemas.js';
import { SORTABLE_FIELDS } from './sims.filter.js';

/**
 * Request and response schemas of the SIM routes: validation, serialisation and OpenAPI from one
 * source. Volumes are integer bytes (data) or message counts (SMS); times are ISO-8601 UTC.
 */

const StringOrList = (description: string) =>
  Type.Optional(Type.Union([Line({ maxLength: 2000 }), Type.Array(Line({ maxLength: 200 }), { maxItems: 100 })], { description }));

/**
 * SIM statuses 1NCE reports: `Enabled`/`Disabled` through the API, `Activated`, `Deactivated`,
 * `Suspended`, `Expired` and `Issued` as seen in its portal and events. A hand-registered SIM must
 * carry one of them (never free text that ends up in an export).
 */
export const SIM_STATUSES = ['Enabled', 'Disabled', 'Activated', 'Deactivated', 'Suspended', 'Expired', 'Issued'] as const;

/** Filters shared by the list and the export. */
export const SimFilterProperties = {
  q: Type.Optional(Line({ maxLength: 100, description: 'Text search, case-insensitive: any part (3 characters or more) of the ICCID (with or without its Luhn digit), IMSI, MSISDN, IMEI or label; 1-2 characters match the start of any of them. A number may be written with spaces, hyphens or a leading +.' })),
  status: StringOrList('Provider status, e.g. `Enabled` (comma-separated or repeated for any-of)'),
  tag: StringOrList('Tag (comma-separated or repeated: SIMs with any of them)'),
  account: StringOrList('Provider account id'),
  connectivity: StringOrList('ONLINE, ATTACHED, OFFLINE, BLOCKED or UNKNOWN'),
  quota_below: Type.Optional(Type.Number({ minimum: 0, maximum: 100, description: 'Data remaining below this percentage, e.g. 20' })),
  last_seen_after: Type.Optional(Line({ maxLength: 40, description: 'Last seen at or after (ISO-8601)' })),
  last_seen_before: Type.Optional(Line({ maxLength: 40, description: 'Last seen before (ISO-8601)' })),
  source: Type.Optional(Type.Union([Type.Literal('provider'), Type.Literal('manual')], { description: 'Synced from 1NCE or registered manually' })),
  sort: Type.Optional(Line({ maxLength: 40, description: `One of ${SORTABLE_FIELDS.join(', ')}; prefix with - for descending`, examples: ['-last_seen_at'] })),
};

/** A `next_cursor` passed back (base64url; it carries the last row's sort value, up to 1,000 characters of any script). */
export const ListCursor = (description: string) => Type.String({ maxLength: 4_096, pattern: '^[A-Za-z0-9_-]+$', description });

export const SimListQuery = Type.Object({
  ...SimFilterProperties,
  page: Type.Optional(Page()),
  page_size: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
  cursor: Type.Optional(
    ListCursor(
      'The `next_cursor` of the previous page: continues after it (same filters and sort; `page` is then taken from the cursor). Deep pages cost what the first one does.',
    ),
  ),
});
export type SimListQuery = Static<typeof SimListQuery>;

export const SimExportQuery = Type.Object({
  ...SimFilterProperties,
  format: Type.Optional(Type.Union([Type.Literal('csv'), Type.Literal('ndjson')], { default: 'csv' })),
});
export type SimExportQuery = Static<typeof SimExportQuery>;

export const SimSchema = Type.Object(
  {
    iccid: Type.String({ description: '19-digit ICCID (1NCE form)' }),
    iccid_with_luhn: Nullable(Type.String()),
    imsi: Nullable(Type.String()),
    imsi_2: Nullable(Type.String()),
    current_imsi: Nullable(Type.String()),
    msisdn: Nullable(Type.String()),
    imei: Nullable(Type.String()),
    imei_lock: Type.Boolean(),
    status: Nullable(Type.String({ description: "1NCE's status string (Enabled, Disabled, ...)" })),
    activation_date: Nullable(DateTime),
    ip_address: Nullable(Type.String()),
    label: Nullable(Type.String()),
    tags: Type.Array(Type.String()),
    custom_fields: Type.Record(Type.String(), Type.Unknown()),
    account_id: Type.String({ format: 'uuid' }),
    source: Type.Union([Type.Literal('provider'), Type.Literal('manual')]),
    current_quota_mb: Nullable(Type.String({ description: 'Total data quota as listed by 1NCE, MB (decimal string)' })),
    quota_status_id: Nullable(Type.Integer({ description: '0: more than 20 % left, 1: less, 2: none' })),
    quota_status: Nullable(Type.String()),
    sms_quota_status_id: Nullable(Type.Integer()),
    sms_quota_status: Nullable(Type.String()),
    connectivity_status: Nullable(Type.String()),
    last_seen_at: Nullable(DateTime),
    data_total_bytes: Nullable(Type.Integer()),
    data_remaining_bytes: Nullable(Type.Integer()),
    data_remaining_pct: Nullable(Type.Number()),
    data_expiry_date: Nullable(DateTime),
    sms_total: Nullable(Type.Integer()),
    sms_remaining: Nullable(Type.Integer()),
    last_synced_at: Nullable(DateTime),
    created_at: DateTime,
    updated_at: DateTime,
  },
  {
    examples: [
      {
        iccid: ICCID_EXAMPLE,
        iccid_with_luhn: '89882806660000000196',
        imsi: '901405100000001',
        imsi_2: null,
        current_imsi: '901405100000001',
        msisdn: '882285100000001',
        imei: '868239050000017',
        imei_lock: false,
        status: 'Enabled',
        activation_date: '2024-03-01T10:00:00.000Z',
        ip_address: '10.0.1.1',
        label: 'Tracker-1',
        tags: ['berlin', 'trucks'],
        custom_fields: { vehicle: 'B-XY 123' },
        account_id: '6f1c1f4e-2a43-4c1b-9b0e-1d2f3a4b5c6d',
        source: 'provider',
        current_quota_mb: '500',
        quota_status_id: 0,
        quota_status: 'More than 20% available',
        sms_quota_status_id: 0,
        sms_quota_status: 'More than 20% available',
        connectivity_status: 'ONLINE',
        last_seen_at: '2025-06-15T11:58:00.000Z',
        data_total_bytes: 524288000,
        data_remaining_bytes: 419430400,
        data_remaining_pct: 80,
        data_expiry_date: '2034-03-01T10:00:00.000Z',
        sms_total: 250,
        sms_remaining: 240,
        last_synced_at: '2025-06-15T12:00:00.000Z',
        created_at: '2025-06-01T00:00:00.000Z',
        updated_at: '2025-06-15T12:00:00.000Z',
      },
    ],
  },
);
export type PublicSim = Static<typeof SimSchema>;

export const SimDetailSchema = Type.Object({
  ...SimSchema.properties,
  freshness: Type.Object({
    last_synced_at: Nullable(DateTime),
    age_seconds: Nullable(Type.Integer({ description: 'Seconds since the last sync from 1NCE; null when never synced' })),
  }),
});
export type SimDetail = Static<typeof SimDetailSchema>;

export const SimPageSchema = Type.Object({
  items: Type.Array(SimSchema),
  total: Type.Integer({
    description:
      'SIMs matching the filter. Exact up to 1,000; past that an estimate (`total_is_estimate`): a count of the same filter taken within the last minute, or the database planner\'s estimate.',
  }),
  total_is_estimate: Type.Boolean({ description: 'true when `total` (and so `total_pages`) is an estimate; false when it was counted exactly for this response' }),
  page: Type.Integer(),
  page_size: Type.Integer(),
  total_pages: Type.Integer(),
  next_cursor: Nullable(Type.String({ description: 'Pass as `cursor` to get the next page by keyset (fast at any depth); null when this page is not full' })),
});
export type SimListPage = Static<typeof SimPageSchema>;

const Tag = Type.String({
  minLength: 1,
  maxLength: 64,
  pattern: '^[^,;|\\s][^,;|\\u0000-\\u001f\\u007f-\\u009f]*$',
  description: 'Tag (one line; no commas, semicolons or pipes)',
});

export const CreateSimBody = Type.Object(
  {
    iccid: Type.String({ maxLength: 22, examples: [ICCID_EXAMPLE] }),
    imsi: Type.Optional(Line({ maxLength: 20 })),
    msisdn: Type.Optional(Line({ maxLength: 20 })),
    imei: Type.Optional(Line({ maxLength: 20 })),
    label: Type.Optional(Line({ maxLength: 255 })),
    tags: Type.Optional(Type.Array(Tag, { maxItems: 50 })),
    custom_fields: Type.Optional(CustomFields('Our own key/value data.')),
    account_id: Type.Optional(Type.String({ format: 'uuid', description: 'Provider account; the default account when omitted' })),
    status: Type.Optional(Type.Union(SIM_STATUSES.map((s) => Type.Literal(s)), { description: `1NCE status: ${SIM_STATUSES.join(', ')}` })),
  },
  { additionalProperties: false, examples: [{ iccid: ICCID_EXAMPLE, label: 'Spare 1', tags: ['spares'] }] },
);
export type CreateSimBody = Static<typeof CreateSimBody>;

export const PatchSimBody = Type.Object(
  {
    label: Type.Optional(Line({ maxLength: 255, description: 'Set at 1NCE, then stored' })),
    tags: Type.Optional(Type.Array(Tag, { maxItems: 50, description: 'Replaces the tag set (ours only)' })),
    custom_fields: Type.Optional(CustomFields('Merged into the stored object; a null value removes the key (ours only).')),
    status: Type.Optional(Type.Union([Type.Literal('Enabled'), Type.Literal('Disabled')], { description: 'Set at 1NCE, then stored' })),
    imei_lock: Type.Optional(Type.Boolean({ description: 'Set at 1NCE, then stored' })),
  },
  { additionalProperties: false, minProperties: 1, examples: [{ label: 'Truck 7', tags: ['trucks'], status: 'Enabled' }] },
);
export type PatchSimBody = Static<typeof PatchSimBody>;

export const PatchResultSchema = Type.Object({
  sim: SimSchema,
  applied: Type.Object({
    provider: Type.Array(Type.String(), { description: 'Fields changed at 1NCE (then stored)' }),
    local: Type.Array(Type.String(), { description: 'Fields stored only in our database' }),
  }),
});

export const SyncResultSchema = Type.Object({
  sim: SimSchema,
  synced: Type.Array(Type.String(), { description: 'What was fetched from 1NCE: sim, quota_data, quota_sms' }),
});

export const JobAcceptedSchema = Type.Object({
  job_id: Type.String(),
  name: Type.String(),
  status: Type.Literal('queued'),
});

export const ImportQuery = Type.Object({
  dry_run: Type.Optional(Type.Boolean({ default: false, description: 'Validate and report without writing' })),
});

export const ImportRowResult = Type.Object({
  line: Type.Integer(),
  iccid: Nullable(Type.String()),
  outcome: Type.Union([Type.Literal('updated'), Type.Literal('unchanged'), Type.Literal('invalid'), Type.Literal('not_found')]),
  errors: Type.Array(Type.String()),
});

export const ImportResultSchema = Type.Object({
  applied: Type.Boolean({ description: 'False when nothing was written (dry run or any invalid row)' }),
  total: Type.Integer(),
  updated: Type.Integer(),
  unchanged: Type.Integer(),
  invalid: Type.Integer(),
  labels_sent_to_provider: Type.Integer(),
  rows: Type.Array(ImportRowResult),
});

/** One CSV row's outcome in an import report. */
export type ImportRow = Static<typeof ImportRowResult>;
/** What an import (or its dry run) answers: counts and every row's outcome. */
export type ImportReport = Static<typeof ImportResultSchema>;
