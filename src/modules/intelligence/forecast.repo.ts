import { sql, type Kysely } from 'kysely';
import type { DB } from '../../db/schema.js';

/** One SIM as the fleet forecast reads it: its quota figures and its daily data use since the history start. */
export interface ForecastSimRow {
  id: number;
  iccid: string;
  account_id: string;
  tags: string[];
  label: string | null;
  data_remaining_bytes: string | number | null;
  data_expiry_date: Date | string | null;
  /** ['YYYY-MM-DD', bytes] per stored day, oldest first. */
  hist: Array<[string, number]>;
}

/** SQL of the fleet forecast. */
export function createForecastRepo(db: Kysely<DB>) {
  return {
    /** Up to `limit` SIMs not disabled with an id above `after`, by id, each with its usage since `since`. */
    async simsWithHistory(since: string, after: number, limit: number): Promise<ForecastSimRow[]> {
      const { rows } = await sql<ForecastSimRow>`
        select s.id, s.iccid, s.account_id, s.tags, s.label, s.data_remaining_bytes, s.data_expiry_date,
               coalesce((select json_agg(json_build_array(to_char(u.day, 'YYYY-MM-DD'), u.data_total_bytes) order by u.day)
                         from sim_usage u where u.sim_id = s.id and u.day >= ${since}::date), '[]'::json) as hist
        from sims s
        where s.id > ${after} and s.status is distinct from 'Disabled'
        order by s.id
        limit ${limit}`.execute(db);
      return rows;
    },
  };
}
