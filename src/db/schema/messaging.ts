/** Row types of SMS to and from SIMs. */
import type { Generated } from 'kysely';
import type { GeneratedTimestamp, Json, Timestamp } from './columns.js';

export type SmsDirection = 'MT' | 'MO';

export type SmsStatus =
  'QUEUED' | 'PENDING' | 'BUFFERED' | 'DELIVERED' | 'FAILED' | 'EXPIRED' | 'CANCELLED' | 'UNKNOWN';

export type SmsEncoding = 'GSM7' | 'UCS2' | 'BINARY';

export interface SmsMessagesTable {
  id: Generated<number>;
  sim_id: number;
  provider_sms_id: string | null;
  direction: SmsDirection;
  status: Generated<SmsStatus>;
  status_id: number | null;
  payload: string | null;
  udh: string | null;
  dcs: number | null;
  source_address: string | null;
  destination_address: string | null;
  encoding: SmsEncoding | null;
  part_number: number | null;
  part_total: number | null;
  concat_ref: number | null;
  message_group: string | null;
  submit_date: Timestamp | null;
  delivery_date: Timestamp | null;
  expiry_date: Timestamp | null;
  final_date: Timestamp | null;
  last_delivery_attempt: Timestamp | null;
  retry_count: number | null;
  last_error: string | null;
  created_by_user_id: number | null;
  raw: Json | null;
  created_at: GeneratedTimestamp;
  updated_at: GeneratedTimestamp;
}
