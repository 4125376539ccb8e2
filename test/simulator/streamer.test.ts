/* eslint-disable @typescript-eslint/no-unsafe-return -- assertions walk JSON bodies read from the wire */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { START, json, startSim, type TestSim } from './sim-helpers.js';

interface Received {
  authorization: string | undefined;
  contentType: string | undefined;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- records are asserted field by field
  body: Array<Record<string, any>>;
}

/** A tiny Data Streamer receiver whose answer status can be switched. */
async function startReceiver(): Promise<{ url: string; received: Received[]; setStatus(status: number): void; close(): Promise<void> }> {
  const received: Received[] = [];
  let status = 200;
  const read = async (req: IncomingMessage) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  };
  const server: Server = createServer((req, res) => {
    void read(req).then((text) => {
      received.push({ authorization: req.headers.authorization, contentType: req.headers['content-type'], body: JSON.parse(text) });
      res.statusCode = status;
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/streams/1nce`,
    received,
    setStatus: (s) => {
      status = s;
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

describe('simulator: Data Streamer emitter', () => {
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  beforeAll(async () => {
    receiver = await startReceiver();
  });
  afterAll(() => receiver.close());

  it('posts batches of Platform-1 records with Basic auth and resends the same batch after a failure', async () => {
    const t: TestSim = await startSim({ streamer: { url: receiver.url, username: 'stream', password: 's3cret', intervalMs: 60_000, batchSize: 40 } });
    try {
      t.sim.clock.advance(6 * 3600);
      receiver.setStatus(500);
      const failed = await json(await t.control('/streamer/flush', {}));
      expect(failed).toMatchObject({ attempted: true, delivered: false, status: 500, state: 'RUNNING' });
      receiver.setStatus(200);
      const ok = await t.sim.flushStreamer();
      expect(ok).toMatchObject({ attempted: true, delivered: true, status: 200 });

      expect(receiver.received).toHaveLength(2);
      const [first, second] = receiver.received as [Received, Received];
      expect(first.authorization).toBe(`Basic ${Buffer.from('stream:s3cret').toString('base64')}`);
      expect(first.contentType).toContain('application/json');
      expect(Array.isArray(first.body)).toBe(true);
      expect(first.body.length).toBeGreaterThan(0);
      expect(first.body.length).toBeLessThanOrEqual(40);
      // The retry repeats the batch unchanged: same ids, so receivers must deduplicate.
      expect(second.body.map((r) => r.id)).toEqual(first.body.map((r) => r.id));

      for (const record of first.body) {
        expect(typeof record.id).toBe('number');
        if ('traffic_type' in record) {
          expect([5, 6]).toContain(record.traffic_type.id);
          expect(record.start_timestamp).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
          expect(typeof record.volume.total).toBe('number');
          expect(record.sim.iccid).toMatch(/^89882806\d{11}$/);
          expect(record.currency).toEqual({ id: 1, symbol: '€', code: 'EUR' });
        } else {
          expect(record.timestamp).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
          expect(record.event_type).toMatchObject({ id: expect.any(Number), description: expect.any(String) });
          expect(record.event_severity).toMatchObject({ id: expect.any(Number) });
          expect(record.organisation).toMatchObject({ id: expect.any(Number) });
        }
      }
      const third = await t.sim.flushStreamer();
      expect(third?.delivered).toBe(true);
      expect(receiver.received[2]!.body.map((r) => r.id)).not.toEqual(first.body.map((r) => r.id));

      const stats = await json(await t.control('/stats'));
      expect(stats.streamer).toMatchObject({ batchesDelivered: 2, failedAttempts: 1 });
      expect(stats.streamer.recordsDelivered).toBe(first.body.length + receiver.received[2]!.body.length);
    } finally {
      await t.close();
    }
  });

  it('emits on its own timer and stops on close', async () => {
    receiver.received.length = 0;
    const t = await startSim({ clockSpeed: 3600, startTime: START, streamer: { url: receiver.url, username: 'u', password: 'p', intervalMs: 50, batchSize: 3000 } });
    const deadline = Date.now() + 5000;
    while (receiver.received.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    await t.close();
    expect(receiver.received.length).toBeGreaterThanOrEqual(2);
    const count = receiver.received.length;
    await new Promise((r) => setTimeout(r, 200));
    expect(receiver.received.length).toBe(count);
  });

  it('answers 404 on flush when no streamer is configured', async () => {
    const t = await startSim();
    try {
      expect((await t.control('/streamer/flush', {})).status).toBe(404);
    } finally {
      await t.close();
    }
  });
});
