import { Type, type Static } from 'typebox';

/** Response schema of the Data Streamer ingest route (POST /streams/1nce). */

export const IngestResultSchema = Type.Object({
  received: Type.Integer(),
  stored: Type.Integer({ description: 'Records not seen before' }),
  duplicates: Type.Integer({ description: 'Retransmitted records (already stored)' }),
  unmatched: Type.Integer({
    description: 'Records for ICCIDs not synced yet (stored, linked by ICCID)',
  }),
});

/** What `POST /streams/1nce` answers once the batch is committed. */
export type IngestResult = Static<typeof IngestResultSchema>;
