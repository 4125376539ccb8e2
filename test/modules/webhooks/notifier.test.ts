import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { createNotifier } from '../../../src/modules/notify/notify.service.js';

/**
 * The notifier skips the webhook insert for event types nobody subscribes to, from a cached set of
 * subscribed types: a change made through this process's webhooks service is seen at once; one
 * made elsewhere (another replica) once the cache TTL has passed. Clock and TTL are injected.
 */
function setUp() {
  const state = { types: new Set<string>(), version: 0, loads: 0, now: 1_000_000 };
  const enqueued: string[] = [];
  const notify = createNotifier({
    webhooks: {
      subscribedTypes: () => {
        state.loads += 1;
        return Promise.resolve(new Set(state.types));
      },
      subscriptionsVersion: () => state.version,
      enqueue: (type) => {
        enqueued.push(type);
        return Promise.resolve(1);
      },
    },
    jobs: { started: false, send: () => Promise.resolve(null) },
    logger: pino({ level: 'silent' }),
    subscribedTtlMs: 5_000,
    now: () => state.now,
  });
  return { state, enqueued, notify };
}

describe('notifier: cached subscribed event types', () => {
  it('skips event types nobody subscribes to and reads the subscriptions once per TTL', async () => {
    const { state, enqueued, notify } = setUp();
    state.types = new Set(['sim.status_changed']);
    await notify('sms.received', { iccid: '1' });
    await notify('sim.status_changed', { iccid: '1' });
    state.now += 5_000;
    await notify('sim.status_changed', { iccid: '1' });
    expect(enqueued).toEqual(['sim.status_changed', 'sim.status_changed']);
    expect(state.loads).toBe(1);
  });

  it('sees a subscription made through this process at once', async () => {
    const { state, enqueued, notify } = setUp();
    await notify('quota.exhausted', { iccid: '1' });
    expect(enqueued).toEqual([]);
    state.types = new Set(['quota.exhausted']);
    state.version += 1;
    await notify('quota.exhausted', { iccid: '1' });
    expect(enqueued).toEqual(['quota.exhausted']);
    // And a subscription disabled here stops the inserts at once too.
    state.types = new Set();
    state.version += 1;
    await notify('quota.exhausted', { iccid: '1' });
    expect(enqueued).toEqual(['quota.exhausted']);
  });

  it('sees a subscription made on another replica once the TTL has passed, not before', async () => {
    const { state, enqueued, notify } = setUp();
    await notify('quota.exhausted', { iccid: '1' });
    state.types = new Set(['quota.exhausted']); // the version here does not move
    state.now += 5_000;
    await notify('quota.exhausted', { iccid: '1' });
    expect(enqueued).toEqual([]);
    state.now += 1;
    await notify('quota.exhausted', { iccid: '1' });
    expect(enqueued).toEqual(['quota.exhausted']);
  });
});
