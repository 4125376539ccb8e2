import type { Kysely } from 'kysely';
import type { DB } from '../../db/schema.js';
import { AppError } from '../../errors.js';
import type { PaymentMethod, Priority } from '../../provider/provider.types.js';
import type { ProviderRegistry } from '../../provider/registry.js';
import type { AuditService } from '../audit/audit.service.js';
import type { OrdersService } from '../orders/orders.service.js';
import { actingUserId, requireSimRef, type ActorContext, type SimRef } from '../sims/sim-ref.js';
import { mayHaveBeenProcessed } from '../../provider/errors.js';
import { createIdempotency, type IdempotentResult } from './idempotency.js';
import type { TopupDto } from './topups.schemas.js';

export interface TopupsServiceDeps {
  db: Kysely<DB>;
  provider: ProviderRegistry;
  audit: AuditService;
  orders: OrdersService;
}

/**
 * 502 `topup_outcome_unknown`: 1NCE may have booked the top-up (timeout, 5xx after sending).
 * It is recorded as an order in state UNKNOWN and never retried automatically; an orders sync
 * (or 1NCE's portal) tells whether it was charged.
 */
export class TopupOutcomeUnknown extends AppError {
  constructor(iccid: string, orderId: number, cause: unknown) {
    super('topup_outcome_unknown', 502, 'Top-up outcome unknown', {
      detail: `1NCE may or may not have booked the top-up of SIM ${iccid}; it was not retried. Check order ${orderId} after the next orders sync before trying again.`,
      extensions: { order_id: orderId, iccid, mayHaveBeenProcessed: true },
      cause,
    });
  }
}

/** Top-ups of single SIMs: each is an order, and an Idempotency-Key makes a retry safe. */
export function createTopupsService(deps: TopupsServiceDeps) {
  const idempotency = createIdempotency(deps.db);

  /**
   * Books one top-up at 1NCE and records it as a TOPUP order. Exported for bulk actions, which
   * guard against repeats themselves (each SIM is attempted at most once per job).
   */
  async function topUpSim(
    sim: SimRef,
    options: { paymentMethod?: PaymentMethod | undefined; priority?: Priority; idempotencyKey?: string | undefined },
    acting: ActorContext,
  ): Promise<TopupDto> {
    const order = await deps.orders.repo.insert(
      {
        account_id: sim.accountId,
        order_type: 'TOPUP',
        status: 'REQUESTED',
        order_date: new Date(),
        idempotency_key: options.idempotencyKey ?? null,
        created_by_user_id: actingUserId(acting),
      },
      [{ iccid: sim.iccid, quantity: 1 }],
    );
    const audit = (outcome: 'success' | 'failure', detail: Record<string, unknown>) =>
      deps.audit.record({ ...acting, action: 'sim.topup', target: { type: 'sim', id: sim.iccid }, outcome, detail: { order_id: order.id, ...detail } });
    const client = await deps.provider.get(sim.accountId);
    try {
      const reference = await client.topUp(sim.iccid, {
        priority: options.priority ?? 'interactive',
        ...(options.paymentMethod !== undefined && { paymentMethod: options.paymentMethod }),
      });
      const stored =
        reference.orderNumber === null
          ? await deps.orders.repo.update(order.id, { status: 'SUBMITTED' })
          : await deps.orders.refreshPlaced(sim.accountId, order.id, reference.orderNumber, options.priority ?? 'interactive');
      await audit('success', { order_number: stored.order_number, payment_method: options.paymentMethod ?? 'banktransfer' });
      return { iccid: sim.iccid, payment_method: options.paymentMethod ?? 'banktransfer', order: await deps.orders.get(stored.id) };
    } catch (error) {
      if (mayHaveBeenProcessed(error)) {
        await deps.orders.repo.update(order.id, { status: 'UNKNOWN' });
        await audit('failure', { outcome_unknown: true });
        throw new TopupOutcomeUnknown(sim.iccid, order.id, error);
      }
      // Certainly not booked: the key is released, so the failed row gives it up too.
      await deps.orders.repo.update(order.id, { status: 'FAILED', idempotency_key: null });
      await audit('failure', { error: error instanceof AppError ? error.code : 'error' });
      throw error;
    }
  }

  return {
    topUpSim,

    /** POST /sims/{iccid}/topup: without a key every call books a top-up; with one, at most one does. */
    async topUp(
      iccid: string,
      input: { paymentMethod?: PaymentMethod | undefined },
      acting: ActorContext,
      idempotencyKey: string | undefined,
    ): Promise<IdempotentResult<TopupDto>> {
      const sim = await requireSimRef(deps.db, iccid);
      if (idempotencyKey === undefined) return { statusCode: 201, body: await topUpSim(sim, input, acting), replayed: false };
      // Keys are private to a caller and a route: two users may pick the same key independently.
      const scope = `${acting.actor.type}:${acting.actor.userId ?? acting.actor.username ?? 'anonymous'}:POST /sims/{iccid}/topup`;
      return idempotency.run({ scope, key: idempotencyKey, fingerprint: { iccid: sim.iccid, payment_method: input.paymentMethod ?? null } }, async () => ({
        statusCode: 201,
        body: await topUpSim(sim, { ...input, idempotencyKey: `${scope}#${idempotencyKey}` }, acting),
      }));
    },
  };
}

export type TopupsService = ReturnType<typeof createTopupsService>;
