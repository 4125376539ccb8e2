/** Row types of the Data Streamer intake and the live event feed. */
import type { Generated, GeneratedAlways } from 'kysely';
import type { GeneratedTimestamp, Json, JsonObject, Timestamp } from './columns.js';
import type { UserRole } from './identity.js';

export type StreamerBatchKind = 'usage' | 'event' | 'sms';

export interface StreamerBatchesTable {
  id: Generated<string>;
  received_at: GeneratedTimestamp;
  kind: StreamerBatchKind;
  record_count: number;
  duplicate_count: Generated<number>;
  rejected_count: Generated<number>;
  source_ip: string | null;
  created_at: GeneratedTimestamp;
}

/** Each stored Data Streamer POST, verbatim (0012): the raw form of the records that point into it. */
export interface StreamPayloadsTable {
  id: Generated<number>;
  received_at: GeneratedTimestamp;
  record_count: number;
  body: Json;
}

/** Last Data Streamer record per provider account (0009). */
export interface StreamerActivityTable {
  account_id: string;
  last_received_at: Timestamp;
  records_total: Generated<number>;
  updated_at: GeneratedTimestamp;
}

/** The live event stream's replay buffer (0014). */
export interface LiveEventsTable {
  id: GeneratedAlways<number>;
  type: string;
  min_role: UserRole;
  data: Json<JsonObject>;
  created_at: GeneratedTimestamp;
}

/** One row: the newest live event id pruned from the replay buffer (0014). */
export interface LiveEventStateTable {
  singleton: Generated<boolean>;
  pruned_through: Generated<number>;
}
