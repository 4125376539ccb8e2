/** An RFC 9457 problem document as the platform sends it. */
export interface Problem {
  type?: string;
  title?: string;
  status?: number;
  detail?: string;
  code?: string;
  errors?: Array<{ path?: string; message?: string }>;
}

/** A refused or failed API call, carrying the server's explanation. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string | undefined;
  readonly problem: Problem | undefined;

  constructor(status: number, problem: Problem | undefined, fallback: string) {
    super(problem?.detail ?? problem?.title ?? fallback);
    this.name = 'ApiError';
    this.status = status;
    this.code = problem?.code;
    this.problem = problem;
  }
}

/** A sentence a person can act on, for any error a query or mutation produced. */
export function describeError(error: unknown): string {
  if (error instanceof ApiError) {
    if (error.status === 403) return `Not allowed: ${error.message}`;
    if (error.status === 0) return error.message;
    const fields = error.problem?.errors?.map((e) => [e.path, e.message].filter(Boolean).join(' ')).filter(Boolean) ?? [];
    return fields.length > 0 ? `${error.message} (${fields.join('; ')})` : error.message;
  }
  if (error instanceof Error) return error.message;
  return 'Something went wrong';
}

/** Reads a failed response into an ApiError (problem+json when the server sent one). */
export async function errorFromResponse(response: Response): Promise<ApiError> {
  let problem: Problem | undefined;
  const type = response.headers.get('content-type') ?? '';
  if (type.includes('json')) {
    try {
      problem = (await response.json()) as Problem;
    } catch {
      problem = undefined;
    }
  }
  return new ApiError(response.status, problem, `${response.status} ${response.statusText || 'request failed'}`);
}
