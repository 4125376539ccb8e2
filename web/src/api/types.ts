import type { paths } from './schema';

/** Response and request types derived from the generated OpenAPI types (`npm run web:api-types`). */

type Json<T> = T extends { content: { 'application/json': infer B } } ? B : never;
export type Ok<P extends keyof paths, M extends keyof paths[P]> = paths[P][M] extends { responses: infer R }
  ? R extends { 200: infer A }
    ? Json<A>
    : R extends { 201: infer C }
      ? Json<C>
      : R extends { 202: infer D }
        ? Json<D>
        : never
  : never;
export type Body<P extends keyof paths, M extends keyof paths[P]> = paths[P][M] extends { requestBody?: infer B } ? Json<NonNullable<B>> : never;

export type SimPage = Ok<'/api/v1/sims', 'get'>;
export type Sim = SimPage['items'][number];
export type SimDetail = Ok<'/api/v1/sims/{iccid}', 'get'>;
export type Usage = Ok<'/api/v1/sims/{iccid}/usage', 'get'>;
export type Quota = Ok<'/api/v1/sims/{iccid}/quota/{service}', 'get'>;
export type Diagnosis = Ok<'/api/v1/sims/{iccid}/diagnosis', 'get'>;
export type Connectivity = Ok<'/api/v1/sims/{iccid}/connectivity', 'get'>;
export type SimEvents = Ok<'/api/v1/sims/{iccid}/events', 'get'>;
export type SmsPage = Ok<'/api/v1/sims/{iccid}/sms', 'get'>;
export type BulkJobBody = Body<'/api/v1/bulk-jobs', 'post'>;
export type BulkJobPage = Ok<'/api/v1/bulk-jobs', 'get'>;
export type BulkJob = BulkJobPage['items'][number];
export type BulkItemPage = Ok<'/api/v1/bulk-jobs/{id}/items', 'get'>;
export type FleetSummary = Ok<'/api/v1/fleet/summary', 'get'>;
export type AlertPage = Ok<'/api/v1/alerts', 'get'>;
export type Alert = AlertPage['items'][number];
export type AlertRule = Ok<'/api/v1/alert-rules/{id}', 'get'>;
export type Webhook = Ok<'/api/v1/webhooks/{id}', 'get'>;
export type SchedulerStatus = Ok<'/api/v1/scheduler/status', 'get'>;
export type AuditPage = Ok<'/api/v1/audit', 'get'>;
export type User = Ok<'/api/v1/users/{id}', 'get'>;
export type Account = Ok<'/api/v1/accounts/{id}', 'get'>;
