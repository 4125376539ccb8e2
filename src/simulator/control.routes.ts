/**
 * The control surface under `/_simulator` (outside the 1NCE base path, never rate limited or
 * faulted): stats, time travel, fault rates, reset and the Data Streamer trigger.
 */
import type { FastifyInstance } from 'fastify';
import type { SimContext } from './context.js';
import { validateFaultRates, type FaultRates } from './faults.js';

/** What the control routes can do beyond reading the context. */
export interface ControlActions {
  reset(): void;
  flushStreamer: (() => Promise<unknown>) | undefined;
  streamerStatus: (() => unknown) | undefined;
}

/** Registers `/_simulator/*`. */
export function registerControlRoutes(app: FastifyInstance, ctx: SimContext, actions: ControlActions): void {
  const bad = (message: string) => ({ error: 'bad_request', message });

  app.get('/_simulator/stats', (_request, reply) => reply.send({
    ...ctx.stats,
    streamer: { ...ctx.stats.streamer, ...(actions.streamerStatus === undefined ? { state: 'DISABLED' } : (actions.streamerStatus() as object)) },
    clock: { now: ctx.clock.now().toISOString() },
    fleetSize: ctx.state.fleet.size,
    mode: ctx.mode,
    faultRates: ctx.faults.rates(),
  }));

  app.post('/_simulator/advance', (request, reply) => {
    const seconds = (request.body as { seconds?: unknown } | undefined)?.seconds;
    if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds < 0) return reply.code(400).send(bad('seconds must be a non-negative number'));
    ctx.clock.advance(seconds);
    ctx.state.store.settle(ctx.clock.nowMs());
    return reply.send({ now: ctx.clock.now().toISOString() });
  });

  app.get('/_simulator/faults', (_request, reply) => reply.send(ctx.faults.rates()));

  app.post('/_simulator/faults', (request, reply) => {
    const problems = validateFaultRates(request.body);
    if (problems.length > 0) return reply.code(400).send(bad(problems.join('; ')));
    ctx.faults.set(request.body as Partial<FaultRates>);
    return reply.send(ctx.faults.rates());
  });

  app.post('/_simulator/reset', (_request, reply) => {
    actions.reset();
    return reply.send({ now: ctx.clock.now().toISOString() });
  });

  app.post('/_simulator/streamer/flush', async (_request, reply) => {
    if (actions.flushStreamer === undefined) return reply.code(404).send({ error: 'not_configured', message: 'No Data Streamer is configured' });
    return actions.flushStreamer();
  });
}
