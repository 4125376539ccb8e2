/**
 * SMS request parsing and the send/cancel operations shared by v1 and v2.
 */
import { recordEffect, type SimContext } from './context.js';
import { DAY_MS } from './formats.js';
import { deliveryTime, simSms, type SmsView } from './sim-views.js';
import type { SmsRecord } from './sim-store.js';

/** Validated `SMSMessage` body. */
export interface SmsInput {
  payload: string;
  sourceAddress: string;
  sourceAddressType: number;
  dcs: number;
  udh: string;
  expiryMs: number | undefined;
}

/** Validates an `SMSMessage` body; returns an error message or the input. */
export function parseSmsBody(body: unknown): SmsInput | string {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return 'Request body must be a JSON object';
  const b = body as Record<string, unknown>;
  if (typeof b.payload !== 'string' || b.payload === '') return "Missing attribute 'payload'";
  const dcs = b.dcs ?? 0;
  if (dcs !== 0 && dcs !== 4 && dcs !== 8) return 'dcs must be 0, 4 or 8';
  const limit = dcs === 0 ? 160 : dcs === 8 ? 70 : 280;
  if (b.payload.length > limit) return `payload exceeds ${limit} characters for dcs ${dcs}`;
  if (b.udh !== undefined && (typeof b.udh !== 'string' || !/^([0-9a-fA-F])*$/.test(b.udh))) return 'udh must be a hex string';
  if (b.source_address !== undefined && typeof b.source_address !== 'string') return 'source_address must be a string';
  const typeId = (b.source_address_type as { id?: unknown } | undefined)?.id ?? 161;
  if (typeId !== 145 && typeId !== 161 && typeId !== 208) return 'source_address_type.id must be 145, 161 or 208';
  let expiryMs: number | undefined;
  if (b.expiry_date !== undefined) {
    expiryMs = typeof b.expiry_date === 'string' ? Date.parse(b.expiry_date.replace(/([+-]\d{2})(\d{2})$/, '$1:$2')) : Number.NaN;
    if (Number.isNaN(expiryMs)) return 'expiry_date must be an ISO-8601 date';
  }
  return {
    payload: b.payload,
    sourceAddress: typeof b.source_address === 'string' ? b.source_address : '1234567',
    sourceAddressType: typeId,
    dcs,
    udh: typeof b.udh === 'string' ? b.udh : '',
    expiryMs,
  };
}

/** Sends an MT-SMS: charged at once, delivered soon if the device is reachable, else buffered (24 h default expiry). */
export function sendSms(ctx: SimContext, index: number, input: SmsInput, nowMs: number): SmsRecord {
  const store = ctx.state.store;
  recordEffect(ctx.stats, 'sms', store.view(index).base.iccid);
  return store.sendSms(index, {
    submitMs: nowMs,
    expiryMs: input.expiryMs ?? nowMs + DAY_MS,
    payload: input.payload,
    sourceAddress: input.sourceAddress,
    sourceAddressType: input.sourceAddressType,
    dcs: input.dcs,
    udh: input.udh,
    deliverMs: deliveryTime(store.timeline(index), nowMs, nowMs % 100_000),
  });
}

/** Finds an SMS of the SIM by its numeric id (path parameter). */
export function findSms(ctx: SimContext, index: number, id: string, nowMs: number): SmsView | undefined {
  if (!/^\d+$/.test(id)) return undefined;
  return simSms(ctx.state.store, index, nowMs).find((s) => s.record.id === Number(id));
}

/** Cancels an SMS; only MT-SMS that are still pending or buffered can be cancelled. */
export function cancelSms(ctx: SimContext, index: number, sms: SmsView): boolean {
  if (sms.type !== 'MT' || (sms.state.id !== 2 && sms.state.id !== 3)) return false;
  return ctx.state.store.deleteSms(index, sms.record.id);
}
