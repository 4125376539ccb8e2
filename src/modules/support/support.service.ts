import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { DB, Row } from '../../db/schema.js';
import { NotFound } from '../../errors.js';
import type { Priority, ProviderSupportTicket } from '../../provider/provider.types.js';
import type { ProviderRegistry } from '../../provider/registry.js';
import { resolveAccountId } from '../accounts/account-scope.js';
import type { AuditService } from '../audit/audit.service.js';
import { actingUserId, type ActorContext } from '../sims/sim-ref.js';
import type { CreateTicketBody, TicketDto } from './support.schemas.js';
import { isoOrNull } from '../../lib/time.js';

/** 1NCE pages support cases by up to 100. */
const PAGE_SIZE = 100;
const SYNC_MAX_PAGES = 20;

export interface SupportServiceDeps {
  db: Kysely<DB>;
  provider: ProviderRegistry;
  audit: AuditService;
  logger: Pick<Logger, 'warn'>;
}

type TicketRow = Row<'support_tickets'>;
type Communication = TicketDto['communications'][number];

function toDto(row: TicketRow): TicketDto {
  return {
    id: row.id,
    account_id: row.account_id,
    case_id: row.case_id,
    subject: row.subject,
    text: row.text,
    status: row.status,
    reply_to_mail: row.reply_to_mail,
    sender_name: row.sender_name,
    create_date: isoOrNull(row.create_date),
    solved_date: isoOrNull(row.solved_date),
    communications: row.communications as unknown as Communication[],
    created_by_user_id: row.created_by_user_id,
    last_synced_at: isoOrNull(row.last_synced_at),
  };
}

function providerColumns(ticket: ProviderSupportTicket) {
  return {
    subject: ticket.subject,
    text: ticket.text,
    status: ticket.status,
    create_date: ticket.createdAt,
    solved_date: ticket.solvedAt,
    communications: JSON.stringify(ticket.communications.map((c) => ({ ...c, at: c.at?.toISOString() ?? null }))),
    raw: ticket.raw as Record<string, unknown>,
    last_synced_at: new Date(),
  };
}

/** Support cases with 1NCE: created through its API, listed from our database, refreshed on demand. */
export function createSupportService(deps: SupportServiceDeps) {
  /**
   * Upserts every case 1NCE lists. 1NCE answers a new case with no id, so a ticket we created
   * (case_id still null) is matched to the newest unclaimed case with the same subject and text.
   */
  async function sync(accountId: string, priority: Priority): Promise<number> {
    const client = await deps.provider.get(accountId);
    const tickets: ProviderSupportTicket[] = [];
    for (let page = 1; page <= SYNC_MAX_PAGES; page++) {
      const result = await client.listSupportTickets({ page, pageSize: PAGE_SIZE, priority });
      tickets.push(...result.items);
      const last = result.totalPages !== null ? page >= result.totalPages : result.items.length < PAGE_SIZE;
      if (last || result.items.length === 0) break;
    }
    const newestFirst = [...tickets].sort((a, b) => (b.createdAt?.getTime() ?? 0) - (a.createdAt?.getTime() ?? 0));
    await deps.db.transaction().execute(async (trx) => {
      for (const ticket of newestFirst) {
        const values = providerColumns(ticket);
        const known = await trx.selectFrom('support_tickets').select('id').where('account_id', '=', accountId).where('case_id', '=', ticket.caseId).executeTakeFirst();
        const pending =
          known ??
          (await trx
            .selectFrom('support_tickets')
            .select('id')
            .where('account_id', '=', accountId)
            .where('case_id', 'is', null)
            .where('subject', '=', ticket.subject ?? '')
            .where('text', '=', ticket.text ?? '')
            .orderBy('id', 'desc')
            .executeTakeFirst());
        if (pending !== undefined) {
          await trx.updateTable('support_tickets').set({ case_id: ticket.caseId, ...values }).where('id', '=', pending.id).execute();
        } else {
          await trx.insertInto('support_tickets').values({ account_id: accountId, case_id: ticket.caseId, ...values }).execute();
        }
      }
    });
    return tickets.length;
  }

  return {
    async list(filter: { account?: string | undefined; status?: string | undefined }, page: number, pageSize: number) {
      let query = deps.db.selectFrom('support_tickets');
      if (filter.account !== undefined) query = query.where('account_id', '=', filter.account);
      if (filter.status !== undefined) query = query.where('status', '=', filter.status);
      const [rows, count] = await Promise.all([
        query.selectAll().orderBy('create_date', (ob) => ob.desc().nullsFirst()).orderBy('id', 'desc').limit(pageSize).offset((page - 1) * pageSize).execute(),
        query.select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow(),
      ]);
      const total = Number(count.n);
      return { items: rows.map(toDto), total, page, page_size: pageSize, total_pages: Math.ceil(total / pageSize) };
    },

    async get(id: number): Promise<TicketDto> {
      const row = await deps.db.selectFrom('support_tickets').selectAll().where('id', '=', id).executeTakeFirst();
      if (row === undefined) throw new NotFound('support_ticket', String(id));
      return toDto(row);
    },

    /** Opens a case at 1NCE, stores it, then syncs once to learn its case id (best effort). */
    async create(requestedAccount: string | undefined, body: CreateTicketBody, acting: ActorContext): Promise<TicketDto> {
      const accountId = await resolveAccountId(deps.db, requestedAccount);
      const client = await deps.provider.get(accountId);
      try {
        await client.createSupportTicket({ replyToMail: body.reply_to_mail, senderName: body.sender_name, subject: body.subject, text: body.text });
      } catch (error) {
        await deps.audit.record({ ...acting, action: 'support.create', target: { type: 'provider_account', id: accountId }, outcome: 'failure', detail: { subject: body.subject } });
        throw error;
      }
      const row = await deps.db
        .insertInto('support_tickets')
        .values({
          account_id: accountId,
          subject: body.subject,
          text: body.text,
          status: 'SUBMITTED',
          reply_to_mail: body.reply_to_mail,
          sender_name: body.sender_name,
          create_date: new Date(),
          created_by_user_id: actingUserId(acting),
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      await deps.audit.record({ ...acting, action: 'support.create', target: { type: 'support_ticket', id: String(row.id) }, outcome: 'success', detail: { subject: body.subject } });
      try {
        await sync(accountId, 'interactive');
      } catch (error) {
        deps.logger.warn({ err: error }, 'support case created; its case id will be filled by the next sync');
      }
      const fresh = await deps.db.selectFrom('support_tickets').selectAll().where('id', '=', row.id).executeTakeFirstOrThrow();
      return toDto(fresh);
    },

    async sync(requestedAccount: string | undefined, priority: Priority = 'interactive') {
      const accountId = await resolveAccountId(deps.db, requestedAccount);
      return { account_id: accountId, fetched: await sync(accountId, priority) };
    },
  };
}

export type SupportService = ReturnType<typeof createSupportService>;
