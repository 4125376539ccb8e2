import { Type, type Static } from 'typebox';
import { DateTime, Line, Nullable, Page } from '../../lib/schemas.js';
import { SimFilterProperties } from '../sims/sims.schemas.js';
import { SMS_MAX_LENGTH } from '../sms/sms.schemas.js';
import { PaymentMethodSchema } from '../topups/topups.schemas.js';

/** Request and response schemas of the bulk action routes. */

export const BULK_ACTIONS = ['enable', 'disable', 'label', 'add_tag', 'remove_tag', 'imei_lock', 'imei_unlock', 'topup', 'sms', 'reset'] as const;
export type BulkAction = (typeof BULK_ACTIONS)[number];

/** The most SIMs one job may select (a 1NCE organisation rarely has more; larger runs are split by filter). */
export const MAX_SELECTION = 100_000;

const { sort: _sort, ...FilterProperties } = SimFilterProperties;

export const BulkFilterSchema = Type.Object(FilterProperties, {
  additionalProperties: false,
  description: 'The same filter as GET /sims (q, status, tag, account, connectivity, quota_below, last_seen_after/before, source)',
});

export const BulkParamsSchema = Type.Object(
  {
    label: Type.Optional(Line({ maxLength: 200, description: 'label: the new label ("" clears it)' })),
    tag: Type.Optional(Line({ minLength: 1, maxLength: 64, description: 'add_tag / remove_tag: the tag' })),
    message: Type.Optional(Type.String({ minLength: 1, maxLength: SMS_MAX_LENGTH, description: 'sms: the text' })),
    payment_method: Type.Optional(PaymentMethodSchema),
  },
  { additionalProperties: false },
);
export type BulkParams = Static<typeof BulkParamsSchema>;

export const CreateBulkJobBody = Type.Object(
  {
    action: Type.Union(
      BULK_ACTIONS.map((a) => Type.Literal(a)),
      { description: 'enable / disable / label / imei_lock / imei_unlock go to 1NCE in bulk updates of up to 100 SIMs; topup, sms and reset are per SIM; tags are ours' },
    ),
    iccids: Type.Optional(Type.Array(Line({ maxLength: 40 }), { minItems: 1, maxItems: MAX_SELECTION, description: 'Selection by ICCID list' })),
    csv: Type.Optional(Type.String({ minLength: 1, maxLength: 4_000_000, description: 'Selection by CSV text: an `iccid` column, or ICCIDs in the first column' })),
    filter: Type.Optional(BulkFilterSchema),
    dry_run: Type.Optional(Type.Boolean({ default: false, description: 'Resolve the selection and report it without changing anything' })),
    params: Type.Optional(BulkParamsSchema),
  },
  {
    additionalProperties: false,
    examples: [
      { action: 'add_tag', filter: { status: 'Enabled', quota_below: 20 }, params: { tag: 'low-data' } },
      { action: 'disable', iccids: ['8988280666000000019', '8988280666000000027'], dry_run: true },
    ],
  },
);
export type CreateBulkJobBody = Static<typeof CreateBulkJobBody>;

export const BulkJobSchema = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    action: Type.String(),
    params: Type.Record(Type.String(), Type.Unknown()),
    selection: Type.Record(Type.String(), Type.Unknown(), { description: 'How the SIMs were chosen (kind and, for a filter, the filter)' }),
    status: Type.Union([Type.Literal('queued'), Type.Literal('running'), Type.Literal('completed'), Type.Literal('failed'), Type.Literal('cancelled')]),
    total: Type.Integer(),
    processed: Type.Integer(),
    succeeded: Type.Integer(),
    failed: Type.Integer(),
    skipped: Type.Integer(),
    pending: Type.Integer(),
    progress_percent: Type.Number({ minimum: 0, maximum: 100 }),
    error: Nullable(Type.String()),
    created_by_user_id: Nullable(Type.Integer()),
    created_at: DateTime,
    started_at: Nullable(DateTime),
    finished_at: Nullable(DateTime),
    cancel_requested_at: Nullable(DateTime),
  },
  {
    examples: [
      {
        id: '3f1c2b7a-9d4e-4c21-8b0f-1e2d3c4b5a69',
        action: 'disable',
        params: {},
        selection: { kind: 'filter', filter: { tag: 'retired' } },
        status: 'running',
        total: 250,
        processed: 100,
        succeeded: 99,
        failed: 1,
        skipped: 0,
        pending: 150,
        progress_percent: 40,
        error: null,
        created_by_user_id: 2,
        created_at: '2025-06-15T12:00:00.000Z',
        started_at: '2025-06-15T12:00:01.000Z',
        finished_at: null,
        cancel_requested_at: null,
      },
    ],
  },
);
export type BulkJobDto = Static<typeof BulkJobSchema>;

export const DryRunSchema = Type.Object({
  dry_run: Type.Literal(true),
  action: Type.String(),
  selection: Type.Record(Type.String(), Type.Unknown()),
  total: Type.Integer({ description: 'Items a job would have (one per distinct ICCID)' }),
  valid: Type.Integer({ description: 'Stored SIMs the action would run on' }),
  invalid: Type.Integer({ description: 'Malformed or unknown ICCIDs (they would fail at once)' }),
  sample: Type.Array(Type.String(), { description: 'Up to 20 ICCIDs of the selection' }),
  invalid_sample: Type.Array(Type.Object({ iccid: Type.String(), error: Type.String() })),
  expired: Type.Integer({
    description:
      'Selected SIMs whose expiry date has passed (counted in valid): 1NCE still lists them as Enabled but refuses every change except an extension, so the job would fail them. Always 0 for tag actions, which never reach 1NCE',
  }),
  expired_sample: Type.Array(Type.String(), { description: 'Up to 20 ICCIDs of expired SIMs in the selection' }),
});

export const BulkJobPageSchema = Type.Object({
  items: Type.Array(BulkJobSchema),
  total: Type.Integer(),
  page: Type.Integer(),
  page_size: Type.Integer(),
  total_pages: Type.Integer(),
});

export const BulkItemSchema = Type.Object({
  iccid: Type.String(),
  status: Type.String({ description: 'pending, succeeded, failed, skipped, cancelled' }),
  result: Nullable(Type.Record(Type.String(), Type.Unknown())),
  error: Nullable(Type.String()),
  attempts: Type.Integer(),
  updated_at: DateTime,
});

export const BulkItemPageSchema = Type.Object({
  items: Type.Array(BulkItemSchema),
  total: Type.Integer(),
  page: Type.Integer(),
  page_size: Type.Integer(),
  total_pages: Type.Integer(),
});

export const BulkJobIdParam = Type.Object({ id: Type.String({ format: 'uuid' }) });

export const ListBulkJobsQuery = Type.Object({
  status: Type.Optional(Type.Union([Type.Literal('queued'), Type.Literal('running'), Type.Literal('completed'), Type.Literal('failed'), Type.Literal('cancelled')])),
  page: Type.Optional(Page()),
  page_size: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
});

export const ListBulkItemsQuery = Type.Object({
  status: Type.Optional(Type.Union((['pending', 'succeeded', 'failed', 'skipped', 'cancelled'] as const).map((s) => Type.Literal(s)))),
  page: Type.Optional(Page()),
  page_size: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })),
});
