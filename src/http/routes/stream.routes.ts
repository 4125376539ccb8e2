import { PassThrough } from 'node:stream';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { Identity } from '../../modules/users/identity.js';
import type { LiveSink, LiveStreams } from '../../modules/live/live.streams.js';
import { LIVE_EVENT_TYPES } from '../../modules/live/live.events.js';
import { ValidationError } from '../../errors.js';
import { authenticateUser } from '../auth/authenticate.hook.js';
import { requireUser } from '../auth/request-context.js';
import { problemResponses } from '../problem.js';

const LAST_EVENT_ID = /^\d{1,15}$/;

const DESCRIPTION = `Server-sent events (\`text/event-stream\`) about changes anywhere in the fleet, from every replica.

Authenticate with \`Authorization: Bearer\` or \`X-API-Key\` headers (use a fetch-based SSE client; tokens are never accepted in the URL).
Each event has \`id:\` (monotonic across replicas), \`event:\` and \`data:\` (one line of JSON):

| event | data |
|---|---|
| \`sim.updated\` | \`{ iccid, fields: string[] }\`; a bulk job sends one per chunk: \`{ iccids, fields, bulk_job_id }\` |
| \`alert.raised\`, \`alert.acknowledged\`, \`alert.resolved\` | the alert as in \`GET /alerts/{id}\` |
| \`bulk.progress\`, \`bulk.finished\` | \`{ id, action, status, total, done, succeeded, failed, skipped }\` |
| \`sync.progress\`, \`sync.finished\` | \`{ job, status, processed?, total?, error? }\` |
| \`usage.updated\` | \`{ source, sims, iccids: string[] (at most 100) }\` |
| \`resync\` | \`{ reason }\`: events after your Last-Event-ID are gone; reload your state |

A comment line (\`: keepalive\`) arrives every 15 seconds (\`LIVE_HEARTBEAT_SECONDS\`); at each one the credential is checked again
and the stream ends (\`: closed credential_invalid\`) once it was revoked, expired or its user deactivated - reconnect with a fresh token.
Reconnect with the \`Last-Event-ID\` header to receive what you missed (kept 5 minutes, at most 1,000 events; older ids get \`resync\`).
Events go only to callers whose role may read the same data through the API (today every type is viewer-readable).
At most \`LIVE_STREAMS_PER_USER\` (10) streams per user and instance: 429 \`too_many_streams\` beyond.`;

/** Adapts the response body stream to what a live stream writes to. */
function sinkOf(body: PassThrough, reply: FastifyReply): LiveSink {
  return {
    write: (chunk) => void body.write(chunk),
    buffered: () => body.writableLength + body.readableLength + reply.raw.writableLength,
    end: () => body.end(),
    onClose: (listener) => {
      body.once('close', listener);
      reply.raw.once('close', listener);
    },
  };
}

function lastEventIdOf(request: FastifyRequest): number | undefined {
  const header = request.headers['last-event-id'];
  if (header === undefined || header === '') return undefined;
  if (typeof header !== 'string' || !LAST_EVENT_ID.test(header.trim())) {
    throw new ValidationError('Last-Event-ID must be the numeric id of an event from this stream', [{ field: 'headers.last-event-id', message: 'must be digits' }], 'invalid_last_event_id');
  }
  return Number(header.trim());
}

/** GET /api/v1/events/stream: the live event stream (SSE). */
export function streamRoutes(streams: LiveStreams, identity: Pick<Identity, 'auth' | 'apiKeys' | 'streamerThrottle'>): FastifyPluginAsyncTypebox {
  return async (app) => {
    // Graceful shutdown waits for open requests: end every stream first so it never hangs.
    app.addHook('preClose', (done) => {
      streams.closeAll();
      done();
    });

    app.get(
      '/stream',
      {
        config: { policy: 'viewer' },
        schema: {
          tags: ['events'],
          summary: 'Live updates: SIM changes, alerts, bulk-job and sync progress, new usage (server-sent events)',
          description: DESCRIPTION,
          headers: Type.Object({
            'last-event-id': Type.Optional(Type.String({ maxLength: 40, description: 'Resume after this event id' })),
          }),
          produces: ['text/event-stream'],
          response: {
            200: Type.String({
              description: `An endless text/event-stream; event types: ${[...LIVE_EVENT_TYPES, 'resync'].join(', ')}`,
            }),
            ...problemResponses(400, 401, 403, 429, 503),
          },
        },
      },
      async (request, reply) => {
        const caller = requireUser(request);
        const pending = await streams.prepare({
          caller: { userId: caller.userId, role: caller.role },
          lastEventId: lastEventIdOf(request),
          revalidate: async () => {
            const current = await authenticateUser(request, identity);
            if (current.kind === 'streamer') throw new ValidationError('not a user credential');
            return { userId: current.userId, role: current.role };
          },
        });
        const body = new PassThrough();
        reply
          .type('text/event-stream; charset=utf-8')
          .header('cache-control', 'no-cache, no-transform')
          // nginx and similar proxies would otherwise buffer the stream.
          .header('x-accel-buffering', 'no')
          // The connection ends with the stream: a shutdown that ends streams leaves no idle socket behind.
          .header('connection', 'close');
        pending.attach(sinkOf(body, reply));
        // The string schema documents the body; the stream is sent as is (as the CSV exports are).
        return reply.send(body as unknown as string);
      },
    );
  };
}
