import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { DB } from '../../db/schema.js';
import { NotFound } from '../../errors.js';
import type { Priority, ProviderSupportTicket } from '../../provider/provider.types.js';
import type { ProviderRegistry } from '../../provider/registry.js';
import { resolveAccountId } from '../accounts/account-scope.js';
import type { AuditService } from '../audit/audit.service.js';
import { actingUserId, type ActorContext } from '../sims/sim-ref.js';
import { createSupportRepo, type TicketRow } from './support.repo.js';
import type { CreateTicketBody, TicketDto } from './support.schemas.js';
import { pageReply } from '../../db/paging.js';
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
  const repo = createSupportRepo(deps.db);

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
    await repo.storeProviderCases(accountId, newestFirst.map((ticket) => ({ caseId: ticket.caseId, values: providerColumns(ticket) })));
    return tickets.length;
  }

  return {
    async list(filter: { account?: string | undefined; status?: string | undefined }, page: number, pageSize: number) {
      const { rows, total } = await repo.page(filter, page, pageSize);
      return pageReply(rows.map(toDto), total, page, pageSize);
    },

    async get(id: number): Promise<TicketDto> {
      const row = await repo.find(id);
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
      const row = await repo.insert({
        account_id: accountId,
        subject: body.subject,
        text: body.text,
        status: 'SUBMITTED',
        reply_to_mail: body.reply_to_mail,
        sender_name: body.sender_name,
        create_date: new Date(),
        created_by_user_id: actingUserId(acting),
      });
      await deps.audit.record({ ...acting, action: 'support.create', target: { type: 'support_ticket', id: String(row.id) }, outcome: 'success', detail: { subject: body.subject } });
      try {
        await sync(accountId, 'interactive');
      } catch (error) {
        deps.logger.warn({ err: error }, 'support case created; its case id will be filled by the next sync');
      }
      const fresh = (await repo.find(row.id))!;
      return toDto(fresh);
    },

    async sync(requestedAccount: string | undefined, priority: Priority = 'interactive') {
      const accountId = await resolveAccountId(deps.db, requestedAccount);
      return { account_id: accountId, fetched: await sync(accountId, priority) };
    },
  };
}

export type SupportService = ReturnType<typeof createSupportService>;
