import { sql, type Kysely, type Selectable } from 'kysely';
import type { DB, SweepProgressTable } from '../db/schema.js';

export type SweepProgressRow = Selectable<SweepProgressTable>;

/**
 * A pass that stopped (a deploy, a killed worker) is resumed when it started less than this long ago;
 * an older one starts again at page 1, since the pages it did read are that stale anyway.
 */
export const RESUME_WITHIN_MS = 24 * 60 * 60 * 1000;

/** Where the next run of an account's sweep starts. */
export interface SweepPass {
  fromPage: number;
  /** A pass that stopped part-way is continued rather than started again. */
  resumed: boolean;
  passStartedAt: Date;
}

/**
 * Where each account's list sweep stands (`sweep_progress`, migration 0021): the sweep records the
 * next page after every page it stores, so a pass over 10,000 pages (1,000,000 SIMs, at least
 * 1,000 s at 1NCE's 10 requests/s) that is interrupted goes on from there instead of page 1.
 */
export function createSweepProgressRepo(db: Kysely<DB>) {
  return {
    /** Starts a pass for the account, or resumes the one under way (see RESUME_WITHIN_MS). */
    async begin(accountId: string, now: Date): Promise<SweepPass> {
      const current = await db
        .selectFrom('sweep_progress')
        .selectAll()
        .where('account_id', '=', accountId)
        .executeTakeFirst();
      const started = current?.pass_started_at ?? null;
      if (
        current !== undefined &&
        started !== null &&
        current.next_page > 1 &&
        now.getTime() - started.getTime() < RESUME_WITHIN_MS
      ) {
        return { fromPage: current.next_page, resumed: true, passStartedAt: started };
      }
      await db
        .insertInto('sweep_progress')
        .values({ account_id: accountId, next_page: 1, pass_started_at: now, updated_at: now })
        .onConflict((oc) =>
          oc.column('account_id').doUpdateSet({ next_page: 1, pass_started_at: now, updated_at: now }),
        )
        .execute();
      return { fromPage: 1, resumed: false, passStartedAt: now };
    },

    /** Records that every page before `nextPage` is stored. */
    async advance(accountId: string, nextPage: number, totalPages: number | null, now: Date): Promise<void> {
      await db
        .updateTable('sweep_progress')
        .set({
          next_page: nextPage,
          updated_at: now,
          ...(totalPages !== null && { total_pages: totalPages }),
        })
        .where('account_id', '=', accountId)
        .execute();
    },

    /** Closes the pass (`pages`: pages read, used when 1NCE gave no page count): the next run starts at page 1. */
    async complete(accountId: string, pages: number, now: Date): Promise<void> {
      await db
        .updateTable('sweep_progress')
        .set({
          next_page: 1,
          updated_at: now,
          last_pass_completed_at: now,
          last_pass_seconds: sql<number>`greatest(0, extract(epoch from (${now}::timestamptz - coalesce(pass_started_at, ${now}::timestamptz))))`,
          // 1NCE's page count when it said one (a run resumed past the last page reads one empty page).
          last_pass_pages: sql<number>`coalesce(total_pages, ${pages})`,
          pass_started_at: null,
        })
        .where('account_id', '=', accountId)
        .execute();
    },

    /** Every account's sweep state, for the scheduler status. */
    async list(): Promise<SweepProgressRow[]> {
      return db.selectFrom('sweep_progress').selectAll().orderBy('account_id').execute();
    },
  };
}

export type SweepProgressRepo = ReturnType<typeof createSweepProgressRepo>;
