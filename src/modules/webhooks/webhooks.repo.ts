import { sql, type Kysely, type Selectable, type Transaction } from 'kysely';
import type { DB, WebhookDeliveriesTable, WebhookDeliveryStatus, WebhookSubscriptionsTable } from '../../db/schema.js';
import { pageOf } from '../../db/paging.js';

export type SubscriptionRow = Selectable<WebhookSubscriptionsTable>;
export type DeliveryRow = Selectable<WebhookDeliveriesTable>;

/** How long a claimed delivery is hidden from other workers while its attempt is in flight. */
const CLAIM_LEASE = '2 minutes';

/** SQL of subscriptions and their delivery log. */
export function createWebhooksRepo(db: Kysely<DB>) {
  return {
    insertSubscription(values: { url: string; secret_ciphertext: string; events: string[]; description: string | null; enabled: boolean; created_by_user_id: number | null }) {
      return db.insertInto('webhook_subscriptions').values(values).returningAll().executeTakeFirstOrThrow();
    },

    listSubscriptions() {
      return db.selectFrom('webhook_subscriptions').selectAll().orderBy('created_at').orderBy('id').execute();
    },

    findSubscription(id: string) {
      return db.selectFrom('webhook_subscriptions').selectAll().where('id', '=', id).executeTakeFirst();
    },

    updateSubscription(id: string, patch: Partial<{ url: string; secret_ciphertext: string; events: string[]; description: string | null; enabled: boolean; disabled_at: Date | null; disabled_reason: string | null; consecutive_failures: number }>) {
      return db.updateTable('webhook_subscriptions').set(patch).where('id', '=', id).returningAll().executeTakeFirst();
    },

    async deleteSubscription(id: string): Promise<boolean> {
      const result = await db.deleteFrom('webhook_subscriptions').where('id', '=', id).executeTakeFirst();
      return result.numDeletedRows > 0n;
    },

    /** One pending delivery per enabled subscription to `eventType`; idempotent on (subscription, event id). */
    async enqueue(executor: Kysely<DB> | Transaction<DB>, event: { id: string; type: string; payload: Record<string, unknown> }): Promise<number> {
      const result = await sql<{ n: number }>`
        insert into webhook_deliveries (subscription_id, event_id, event_type, payload)
        select s.id, ${event.id}::uuid, ${event.type}, ${JSON.stringify(event.payload)}::jsonb
        from webhook_subscriptions s
        where s.enabled and ${event.type} = any (s.events)
        on conflict (subscription_id, event_id) do nothing`.execute(executor);
      return Number(result.numAffectedRows ?? 0n);
    },

    insertDelivery(values: { subscription_id: string; event_id: string; event_type: string; payload: string }) {
      return db.insertInto('webhook_deliveries').values(values).returningAll().executeTakeFirstOrThrow();
    },

    /**
     * Claims up to `limit` due deliveries of enabled subscriptions. Rows are locked with SKIP LOCKED
     * and their next attempt pushed out by a lease, so concurrent workers never take the same one.
     */
    async claimDue(limit: number): Promise<DeliveryRow[]> {
      const result = await sql<DeliveryRow>`
        update webhook_deliveries d set next_attempt_at = now() + ${CLAIM_LEASE}::interval
        where d.id in (
          select d2.id from webhook_deliveries d2
          join webhook_subscriptions s on s.id = d2.subscription_id
          where d2.status in ('pending', 'failed') and d2.next_attempt_at <= now() and s.enabled
          order by d2.next_attempt_at
          limit ${limit}
          for update of d2 skip locked)
        returning d.*`.execute(db);
      return result.rows;
    },

    async earliestPending(): Promise<Date | undefined> {
      const row = await db
        .selectFrom('webhook_deliveries')
        .innerJoin('webhook_subscriptions', 'webhook_subscriptions.id', 'webhook_deliveries.subscription_id')
        .select((eb) => eb.fn.min('webhook_deliveries.next_attempt_at').as('next'))
        .where('webhook_deliveries.status', 'in', ['pending', 'failed'])
        .where('webhook_subscriptions.enabled', '=', true)
        .executeTakeFirst();
      return row?.next ?? undefined;
    },

    recordAttempt(
      id: string,
      values: { status: WebhookDeliveryStatus; attempts: number; next_attempt_at: Date | null; last_status_code: number | null; last_error: string | null; response_ms: number; delivered_at: Date | null },
    ) {
      // next_attempt_at is Generated<Timestamp | null>, whose nested ColumnType Kysely does not unwrap.
      return db
        .updateTable('webhook_deliveries')
        .set({ ...values, next_attempt_at: values.next_attempt_at as never })
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirstOrThrow();
    },

    async recordSuccess(subscriptionId: string) {
      await db
        .updateTable('webhook_subscriptions')
        .set({ consecutive_failures: 0, last_success_at: sql<Date>`now()` })
        .where('id', '=', subscriptionId)
        .execute();
    },

    async recordFailure(subscriptionId: string, disableReason: string | undefined) {
      await db
        .updateTable('webhook_subscriptions')
        .set((eb) => ({
          consecutive_failures: eb('consecutive_failures', '+', 1),
          last_failure_at: sql<Date>`now()`,
          ...(disableReason !== undefined && { enabled: false, disabled_at: sql<Date>`now()`, disabled_reason: disableReason }),
        }))
        .where('id', '=', subscriptionId)
        .execute();
    },

    async listDeliveries(subscriptionId: string, filter: { status?: WebhookDeliveryStatus | undefined }, page: number, pageSize: number) {
      let q = db.selectFrom('webhook_deliveries').where('subscription_id', '=', subscriptionId);
      if (filter.status !== undefined) q = q.where('status', '=', filter.status);
      return pageOf(q, (query) => query.selectAll().orderBy('created_at', 'desc').orderBy('id'), page, pageSize);
    },
  };
}

export type WebhooksRepo = ReturnType<typeof createWebhooksRepo>;
