import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends, buildTestApp, type TestApp } from '../helpers/app.js';
import { signedIn } from '../modules/users/fixtures.js';
import { advanceSimulator, findSimByConnectivity, seedSims, setFaults, simulatorRequests, type SeededSim } from '../modules/bulk/fleet.fixtures.js';

const SEND = 'POST /v2/sims/{iccid}/sms';

describe.each(backends)('SMS over HTTP (%s)', (backend) => {
  let t: TestApp;
  let operator: Record<string, string>;
  let viewer: Record<string, string>;
  let sims: SeededSim[];
  let online: SeededSim;
  let offline: SeededSim;

  beforeAll(async () => {
    t = await buildTestApp({ backend, simulator: true, env: { API_RATE_LIMIT_RPS: '100000' } });
    operator = (await signedIn(t, 'operator')).headers;
    viewer = (await signedIn(t, 'viewer')).headers;
    sims = await seedSims(t, 30);
    online = await findSimByConnectivity(t, sims, (s) => s === 'ONLINE' || s === 'ATTACHED');
    offline = await findSimByConnectivity(t, sims, (s) => s === 'OFFLINE');
  });
  afterAll(async () => {
    await t.close();
  });

  const send = (iccid: string, payload: unknown, headers = operator) =>
    t.app.inject({ method: 'POST', url: `/api/v1/sims/${iccid}/sms`, headers, payload: payload as object });

  it('sends a short GSM-7 text as one SMS with dcs 0 and no UDH', async () => {
    const before = (await simulatorRequests(t))[SEND] ?? 0;
    const response = await send(online.iccid, { message: 'Reboot at 03:00 UTC' });
    expect(response.statusCode).toBe(201);
    const body = response.json();
    expect(body).toMatchObject({ iccid: online.iccid, encoding: 'GSM7', units: 19, part_total: 1, status: 'accepted' });
    expect(body.parts[0]).toMatchObject({ direction: 'MT', status: 'PENDING', dcs: 0, udh: null, payload: 'Reboot at 03:00 UTC', part_number: 1 });
    expect(body.parts[0].provider_sms_id).toMatch(/^\d+$/);
    expect((await simulatorRequests(t))[SEND]).toBe(before + 1);
  });

  it('splits a long GSM-7 text into concatenated parts, each with its UDH, stored as one group', async () => {
    const text = 'ABCDEFGHIJ'.repeat(20); // 200 septets -> 153 + 47
    const before = (await simulatorRequests(t))[SEND] ?? 0;
    const response = await send(online.iccid, { message: text });
    expect(response.statusCode).toBe(201);
    const body = response.json();
    expect(body).toMatchObject({ encoding: 'GSM7', units: 200, part_total: 2 });
    const [first, second] = body.parts;
    expect(first.udh).toMatch(/^050003[0-9A-F]{2}0201$/);
    expect(second.udh).toBe(`${first.udh.slice(0, 8)}0202`);
    expect(first.payload + second.payload).toBe(text);
    expect(first.payload).toHaveLength(153);
    expect(first.message_group).toBe(second.message_group);
    expect((await simulatorRequests(t))[SEND]).toBe(before + 2);

    // 1NCE holds the parts with their UDH: a sync finds them by provider id instead of duplicating them.
    const sync = await t.app.inject({ method: 'POST', url: `/api/v1/sims/${online.iccid}/sms/sync`, headers: operator });
    expect(sync.statusCode).toBe(200);
    const rows = await t.deps.database.db.selectFrom('sms_messages').selectAll().where('message_group', '=', first.message_group).execute();
    expect(rows.map((r) => r.udh).sort()).toEqual([first.udh, second.udh].sort());
  });

  it('sends non-GSM text as UCS-2 (dcs 8): 70 per single SMS, 67 per part', async () => {
    const single = await send(online.iccid, { message: 'Привет, мир' });
    expect(single.json()).toMatchObject({ encoding: 'UCS2', part_total: 1 });
    expect(single.json().parts[0].dcs).toBe(8);
    const long = await send(online.iccid, { message: 'ж'.repeat(100) });
    expect(long.json()).toMatchObject({ encoding: 'UCS2', units: 100, part_total: 2 });
    expect(long.json().parts.map((p: { payload: string }) => p.payload.length)).toEqual([67, 33]);
  });

  it('lists MT and MO messages with direction, status and date filters, and keeps them after a sync', async () => {
    const sync = await t.app.inject({ method: 'POST', url: `/api/v1/sims/${online.iccid}/sms/sync`, headers: operator });
    expect(sync.statusCode).toBe(200);
    expect(sync.json().fetched).toBeGreaterThanOrEqual(6);

    const mt = await t.app.inject({ method: 'GET', url: `/api/v1/sims/${online.iccid}/sms?direction=MT&page_size=100`, headers: viewer });
    expect(mt.statusCode).toBe(200);
    expect(mt.json().total).toBe(6); // 1 + 2 + 1 + 2 parts sent above
    expect(mt.json().items.every((m: { direction: string }) => m.direction === 'MT')).toBe(true);

    const mo = await t.app.inject({ method: 'GET', url: `/api/v1/sims/${online.iccid}/sms?direction=MO&page_size=100`, headers: viewer });
    expect(mo.json().items.every((m: { direction: string }) => m.direction === 'MO')).toBe(true);
    expect(mo.json().total).toBe(sync.json().fetched - 6);

    const future = await t.app.inject({ method: 'GET', url: `/api/v1/sims/${online.iccid}/sms?from=2999-01-01T00:00:00Z`, headers: viewer });
    expect(future.json().total).toBe(0);
    const queued = await t.app.inject({ method: 'GET', url: `/api/v1/sims/${online.iccid}/sms?status=QUEUED`, headers: viewer });
    expect(queued.json().total).toBe(0);

    const paged = await t.app.inject({ method: 'GET', url: `/api/v1/sims/${online.iccid}/sms?direction=MT&page=2&page_size=4`, headers: viewer });
    expect(paged.json()).toMatchObject({ total: 6, page: 2, page_size: 4, total_pages: 2 });
    expect(paged.json().items).toHaveLength(2);
  });

  it('refreshes a pending message from 1NCE when it is read', async () => {
    const sent = (await send(online.iccid, { message: 'status please' })).json();
    await advanceSimulator(t, 120);
    const read = await t.app.inject({ method: 'GET', url: `/api/v1/sims/${online.iccid}/sms/${sent.parts[0].id}`, headers: viewer });
    expect(read.statusCode).toBe(200);
    expect(read.json()).toMatchObject({ id: sent.parts[0].id, status: 'DELIVERED' });
    expect(read.json().delivery_date).not.toBeNull();
  });

  it('cancels a buffered message at 1NCE, and refuses to cancel it twice', async () => {
    const sent = (await send(offline.iccid, { message: 'wake up' })).json();
    const before = (await simulatorRequests(t))['DELETE /v2/sims/{iccid}/sms/{id}'] ?? 0;
    const cancel = await t.app.inject({ method: 'DELETE', url: `/api/v1/sims/${offline.iccid}/sms/${sent.parts[0].id}`, headers: operator });
    expect(cancel.statusCode).toBe(200);
    expect(cancel.json().items).toHaveLength(1);
    expect(cancel.json().items[0]).toMatchObject({ status: 'CANCELLED' });
    expect((await simulatorRequests(t))['DELETE /v2/sims/{iccid}/sms/{id}']).toBe(before + 1);

    const again = await t.app.inject({ method: 'DELETE', url: `/api/v1/sims/${offline.iccid}/sms/${sent.parts[0].id}`, headers: operator });
    expect(again.statusCode).toBe(409);
    expect(again.json().code).toBe('sms_not_cancellable');

    const audit = await t.deps.database.db.selectFrom('audit_log').selectAll().where('action', '=', 'sms.cancel').execute();
    expect(audit.some((a) => a.target_id === offline.iccid && a.outcome === 'success')).toBe(true);
  });

  it('records a send whose outcome is unknown as UNKNOWN and does not resend it', async () => {
    await setFaults(t, { serverError: 1 });
    const before = (await simulatorRequests(t))[SEND] ?? 0;
    try {
      const response = await send(online.iccid, { message: 'x'.repeat(200) });
      expect(response.statusCode).toBe(503);
      expect(response.json()).toMatchObject({ code: 'provider_unavailable', mayHaveBeenProcessed: true });
    } finally {
      await setFaults(t, { serverError: 0 });
    }
    expect((await simulatorRequests(t))[SEND]).toBe(before + 1); // no retry, and part 2 never sent
    const rows = await t.deps.database.db.selectFrom('sms_messages').select(['status', 'last_error', 'part_number']).where('payload', 'like', 'xxx%').orderBy('part_number').execute();
    expect(rows.map((r) => r.status)).toEqual(['UNKNOWN', 'FAILED']);
    expect(rows[0]!.last_error).toMatch(/outcome unknown/);
  });

  it('adopts a part whose outcome was unknown when a later sync finds it at 1NCE, instead of storing it twice', async () => {
    const db = t.deps.database.db;
    const sim = await db.selectFrom('sims').select(['id', 'msisdn']).where('iccid', '=', online.iccid).executeTakeFirstOrThrow();
    // What a lost answer leaves behind: 1NCE has the message, we only know we asked.
    const client = await t.deps.provider.get(t.accountId!);
    const { id: providerId } = await client.sendSms(online.iccid, { payload: 'answer lost on the way back', dcs: 0 });
    const local = await db
      .insertInto('sms_messages')
      .values({
        sim_id: sim.id, direction: 'MT', status: 'UNKNOWN', payload: 'answer lost on the way back', dcs: 0, encoding: 'GSM7',
        destination_address: sim.msisdn, part_number: 1, part_total: 1, message_group: randomUUID(), submit_date: new Date(),
        last_error: 'outcome unknown, not resent: timeout',
      })
      .returning('id')
      .executeTakeFirstOrThrow();

    // The scheduled SIM sync looks such SIMs up by itself (no operator action needed).
    expect(await t.deps.sms.reconcileUnknown()).toEqual({ sims: 1, synced: 1 });
    const rows = await db.selectFrom('sms_messages').selectAll().where('payload', '=', 'answer lost on the way back').execute();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ id: local.id, provider_sms_id: providerId });
    expect(rows[0]!.status).not.toBe('UNKNOWN');
    expect(rows[0]!.last_error).toMatch(/found at 1NCE/);

    // A second sync changes nothing: the message is now known by its id.
    const sync = await t.app.inject({ method: 'POST', url: `/api/v1/sims/${online.iccid}/sms/sync`, headers: operator });
    expect(sync.statusCode).toBe(200);
    expect(await db.selectFrom('sms_messages').select('id').where('payload', '=', 'answer lost on the way back').execute()).toHaveLength(1);
  });

  it('rejects bad input, unknown SIMs and viewers', async () => {
    // The same answers as every other route naming a SIM (one ICCID parser, docs/errors.md).
    const short = await send('123', { message: 'hi' });
    expect(short.statusCode).toBe(400);
    expect(short.json()).toMatchObject({ code: 'invalid_iccid' });
    const wrongLuhn = await send('89882806660000000011', { message: 'hi' });
    expect(wrongLuhn.statusCode).toBe(422);
    expect(wrongLuhn.json()).toMatchObject({ code: 'invalid_iccid' });
    const unknown = await send('8988280666999999999', { message: 'hi' });
    expect(unknown.statusCode).toBe(404);
    expect((await send(online.iccid, { message: '' })).statusCode).toBe(400);
    expect((await send(online.iccid, { message: 'hi' }, viewer)).statusCode).toBe(403);
    const missing = await t.app.inject({ method: 'GET', url: `/api/v1/sims/${online.iccid}/sms/999999`, headers: viewer });
    expect(missing.statusCode).toBe(404);
  });
});
