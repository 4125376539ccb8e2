import { Type, type Static } from 'typebox';

/** Media type of every error response (RFC 9457). */
export const PROBLEM_CONTENT_TYPE = 'application/problem+json; charset=utf-8';

/** RFC 9457 problem document with a stable machine `code` and optional field errors. */
export const ProblemSchema = Type.Object(
  {
    type: Type.String({ description: 'URI identifying the problem type', examples: ['urn:simfleet:problem:not_found'] }),
    title: Type.String({ description: 'Short, human-readable summary of the problem type' }),
    status: Type.Integer({ description: 'HTTP status code' }),
    detail: Type.Optional(Type.String({ description: 'Explanation specific to this occurrence' })),
    instance: Type.Optional(Type.String({ description: 'Request path that produced the problem' })),
    code: Type.String({ description: 'Stable machine-readable error code', examples: ['validation_failed'] }),
    request_id: Type.Optional(Type.String()),
    errors: Type.Optional(
      Type.Array(Type.Object({ field: Type.String(), message: Type.String() }), {
        description: 'Field-level problems',
      }),
    ),
  },
  { $id: 'Problem', additionalProperties: true, description: 'RFC 9457 problem details' },
);

export type Problem = Static<typeof ProblemSchema>;

/** The URI for a problem code; documented in docs/errors.md. */
export function problemType(code: string): string {
  return `urn:simfleet:problem:${code}`;
}

/** Reference to the shared Problem schema for route `response` maps. */
export const ProblemRef = Type.Ref('Problem');

/** Standard error responses to merge into a route's response schema, keyed by status. */
export function problemResponses(...statuses: number[]): Record<number, typeof ProblemRef> {
  return Object.fromEntries(statuses.map((s) => [s, ProblemRef]));
}
