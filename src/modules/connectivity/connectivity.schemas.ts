import { Type } from 'typebox';
import { Iccid, Nullable, Page } from '../../lib/schemas.js';

/** Schemas of the connectivity routes. */

export const ConnectivityQuery = Type.Object({
  cached: Type.Optional(Type.Boolean({ default: false, description: 'Serve the latest stored snapshot instead of asking 1NCE' })),
});

export const ConnectivitySchema = Type.Object(
  {
    iccid: Type.String(),
    observed_at: Type.String({ format: 'date-time' }),
    status: Type.Union([Type.Literal('ONLINE'), Type.Literal('ATTACHED'), Type.Literal('OFFLINE'), Type.Literal('BLOCKED'), Type.Literal('UNKNOWN')]),
    operator: Nullable(Type.Object({ id: Nullable(Type.String()), name: Nullable(Type.String()), mcc: Nullable(Type.String()), mnc: Nullable(Type.String()) })),
    country: Nullable(Type.Object({ name: Nullable(Type.String()), iso_code: Nullable(Type.String()) })),
    rat: Nullable(Type.String({ description: 'Radio access technology (2G, 3G, 4G, 5G, NB-IoT, LTE-M)' })),
    pdp_context: Nullable(Type.Record(Type.String(), Type.Unknown())),
    services: Nullable(Type.Array(Type.String())),
    last_updated: Nullable(Type.String({ format: 'date-time', description: 'Last network location update reported by 1NCE' })),
  },
  {
    examples: [
      {
        iccid: '8988280666000000019',
        observed_at: '2025-06-15T12:00:00.000Z',
        status: 'ONLINE',
        operator: { id: '3', name: 'Telekom Deutschland', mcc: '262', mnc: '01' },
        country: { name: 'Germany', iso_code: 'de' },
        rat: '4G',
        pdp_context: { apn: 'iot.1nce.net', ueIpAddress: '10.0.1.1', rat: '4G' },
        services: ['GPRS', 'SMS'],
        last_updated: '2025-06-15T11:40:00.000Z',
      },
    ],
  },
);

export const ConnectivityHistoryQuery = Type.Object({
  from: Type.Optional(Type.String({ format: 'date-time' })),
  to: Type.Optional(Type.String({ format: 'date-time' })),
  page: Type.Optional(Page()),
  page_size: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
});

export const ConnectivityPageSchema = Type.Object({
  items: Type.Array(ConnectivitySchema),
  total: Type.Integer(),
  page: Type.Integer(),
  page_size: Type.Integer(),
  total_pages: Type.Integer(),
});

export const ResetSchema = Type.Object({
  id: Type.String({ format: 'uuid' }),
  iccid: Type.String(),
  status: Type.Union([Type.Literal('requested'), Type.Literal('completed'), Type.Literal('failed')]),
  requested_at: Type.String({ format: 'date-time' }),
  completed_at: Nullable(Type.String({ format: 'date-time' })),
  detail: Nullable(Type.String()),
});

export const ResetParams = Type.Object({
  iccid: Iccid,
  id: Type.String({ format: 'uuid' }),
});

export const ResetListSchema = Type.Object({ items: Type.Array(ResetSchema) });
