/**
 * Per-request SIM resolution with 1NCE's rules: unknown ICCIDs (empty 200 in observed fidelity
 * on reads, 404 otherwise) and expired SIMs (422 for everything except extension).
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { SimContext } from './context.js';
import { sendEmpty, sendSpringError, sendV2Error } from './http.js';

export const EXPIRED_MESSAGE = 'The following SIMs are expired and cannot be modified via API. Only extensions are permitted';

/** Resolves `iccid` for a v1 call, or answers the request and returns undefined. */
export function resolveV1(ctx: SimContext, request: FastifyRequest, reply: FastifyReply, iccid: string, nowMs: number): number | undefined {
  const store = ctx.state.store;
  const index = store.find(iccid);
  if (index < 0) {
    // Recorded 2021 traffic: an unknown ICCID on a read is 200 with an empty body.
    if (ctx.mode === 'observed' && request.method === 'GET') sendEmpty(reply, 200);
    else sendSpringError(reply, request, 404, 'SIM not found.', nowMs);
    return undefined;
  }
  if (store.isExpired(index, nowMs)) {
    sendSpringError(reply, request, 422, `${EXPIRED_MESSAGE}: ${store.view(index).base.iccid}`, nowMs);
    return undefined;
  }
  return index;
}

/** Resolves `iccid` for a v2 call (404 / 422 with the v2 error shape). */
export function resolveV2(ctx: SimContext, reply: FastifyReply, iccid: string, nowMs: number): number | undefined {
  const store = ctx.state.store;
  const index = store.find(iccid);
  if (index < 0) {
    sendV2Error(reply, 404, 'Element not found');
    return undefined;
  }
  if (store.isExpired(index, nowMs)) {
    sendV2Error(reply, 422, `${EXPIRED_MESSAGE}: ${store.view(index).base.iccid}`);
    return undefined;
  }
  return index;
}

/** Resolves a list of ICCIDs for a bulk call: unknown and expired ones, if any, are reported. */
export function resolveMany(ctx: SimContext, iccids: string[], nowMs: number): { indices: number[]; unknown: string[]; expired: string[] } {
  const store = ctx.state.store;
  const indices: number[] = [];
  const unknown: string[] = [];
  const expired: string[] = [];
  for (const iccid of iccids) {
    const index = store.find(iccid);
    if (index < 0) unknown.push(iccid);
    else if (store.isExpired(index, nowMs)) expired.push(iccid);
    else indices.push(index);
  }
  return { indices, unknown, expired };
}

/** True when `value` is an array of strings. */
export function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((v) => typeof v === 'string');
}

/** Validates a v1/v2 SIM update object; returns an error message or the cleaned update. */
export function parseSimUpdate(value: unknown): { label?: string; imei_lock?: boolean; status?: 'Enabled' | 'Disabled'; iccid?: string } | string {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) return 'Request body must be a JSON object';
  const v = value as Record<string, unknown>;
  const out: { label?: string; imei_lock?: boolean; status?: 'Enabled' | 'Disabled'; iccid?: string } = {};
  if (v.iccid !== undefined) {
    if (typeof v.iccid !== 'string') return 'iccid must be a string';
    out.iccid = v.iccid;
  }
  if (v.label !== undefined) {
    if (typeof v.label !== 'string') return 'label must be a string';
    out.label = v.label;
  }
  if (v.imei_lock !== undefined) {
    if (typeof v.imei_lock !== 'boolean') return 'imei_lock must be a boolean';
    out.imei_lock = v.imei_lock;
  }
  if (v.status !== undefined) {
    if (v.status !== 'Enabled' && v.status !== 'Disabled') return "status must be 'Enabled' or 'Disabled'";
    out.status = v.status;
  }
  return out;
}
