import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { StreamerService } from '../../modules/streamer/streamer.service.js';
import { MAX_BATCH_RECORDS } from '../../modules/streamer/streamer.parse.js';
import { IngestResultSchema } from '../../modules/streamer/streamer.schemas.js';
import { installBodyBudget } from '../body-budget.js';
import { problemResponses } from '../problem.js';
import { PROVIDER_DATA_KEYWORD } from '../validation.js';

/** 3,000 Platform-1 records run to about 3 MB; leave room for verbose ones. */
const STREAM_BODY_LIMIT_BYTES = 16 * 1024 * 1024;

export interface StreamsRouteOptions {
  /** Bytes of batch bodies held at once (`STREAM_INFLIGHT_LIMIT_BYTES`); past it 503 + Retry-After. */
  inflightLimitBytes: number;
  /** Told of each batch refused for the budget (`simfleet_streamer_batches_total{outcome="busy"}`). */
  onBusy?: (() => void) | undefined;
}

/** /api/v1/streams: the 1NCE Data Streamer's HTTP ("REST API") destination. */
export function streamsRoutes(streamer: StreamerService, options: StreamsRouteOptions): FastifyPluginAsyncTypebox {
  return async (app) => {
    // Batches are the largest bodies the platform takes: bound what one process holds at once.
    installBodyBudget(app, { limitBytes: options.inflightLimitBytes, unannouncedBytes: STREAM_BODY_LIMIT_BYTES, onRefused: options.onBusy });
    // This plugin's own JSON parser (encapsulated: other routes keep Fastify's): the same parsing and
    // prototype-poisoning rules, but the text is kept, so each batch is stored exactly as 1NCE sent it.
    const bodyText = new WeakMap<object, string>();
    const parseJson = app.getDefaultJsonParser('error', 'error');
    app.removeContentTypeParser('application/json');
    app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
      const text = typeof body === 'string' ? body : body.toString('utf8');
      bodyText.set(request, text);
      // The default parser answers through `done` (its callback form); nothing to await.
      void parseJson(request, text, done);
    });

    app.post(
      '/1nce',
      {
        bodyLimit: STREAM_BODY_LIMIT_BYTES,
        // Every batch is recorded in streamer_batches; auditing each POST would double the write load.
        config: { policy: 'streamer', audit: false },
        schema: {
          tags: ['streams'],
          summary: 'Data Streamer ingest (usage and event records, Platform 1.0 and 2.0)',
          description:
            `A JSON array of up to ${MAX_BATCH_RECORDS} records, HTTP Basic auth with STREAMER_USERNAME / STREAMER_PASSWORD. ` +
            'The whole batch is validated first: one malformed record rejects it (400, nothing stored). ' +
            'Records are deduplicated on their id, so 1NCE retransmissions are harmless. 200 means committed. ' +
            'While too many batch bytes are being processed at once (STREAM_INFLIGHT_LIMIT_BYTES) a batch is answered 503 with Retry-After.',
          body: Type.Array(Type.Unknown(), {
            maxItems: MAX_BATCH_RECORDS,
            description: 'Usage, event or SMS event records',
            // 1NCE's data: control characters are cleaned on ingest, never a reason to refuse (and retry) a batch.
            [PROVIDER_DATA_KEYWORD]: true,
          }),
          response: {
            200: IngestResultSchema,
            ...problemResponses(400, 401, 413, 415, 429, 503),
          },
        },
      },
      async (request) => streamer.ingest(request.body, request.ip, bodyText.get(request)),
    );
  };
}
