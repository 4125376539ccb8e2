import type { FastifyInstance } from 'fastify';
import { UnsupportedMediaType } from '../errors.js';

/**
 * What request bodies the API reads (ADR 0009). JSON only (routes that take CSV add their own
 * parser in their own scope); an empty body of any type is "no body", so an action whose
 * parameters are all optional works as `curl -X POST` or with an empty JSON body; any other
 * content type is refused with 415 before the body is read, never guessed at.
 */
export function installBodyParsers(app: FastifyInstance): void {
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (text === '') {
      done(null, undefined);
      return;
    }
    // The default parser answers through `done` (its callback form); nothing to await.
    void parseJson(request, text, done);
  });

  // Fastify would hand text/plain to every route as a string, to fail later as "body must be object".
  app.removeContentTypeParser('text/plain');
  app.addContentTypeParser('*', (request, _payload, done) => {
    const length = request.headers['content-length'];
    if (request.headers['transfer-encoding'] === undefined && (length === undefined || length === '0')) {
      done(null, undefined);
      return;
    }
    done(new UnsupportedMediaType(request.headers['content-type']), undefined);
  });
}
