import createClient from 'openapi-fetch';
import type { paths } from './schema';
import { ApiError, errorFromResponse } from './problem';
import { currentAccessToken, refreshSession } from '../auth/session';

/**
 * fetch with the session's bearer token; on a 401 it refreshes the session once and retries.
 * Every call of the console goes through here, so the token never leaves memory.
 */
export async function authFetch(input: Request): Promise<Response> {
  const retry = input.clone();
  const send = (request: Request) => {
    const token = currentAccessToken();
    if (token !== null) request.headers.set('authorization', `Bearer ${token}`);
    return fetch(request);
  };
  let response: Response;
  try {
    response = await send(input);
  } catch {
    throw new ApiError(0, undefined, 'The server cannot be reached. Check your connection and try again.');
  }
  if (response.status !== 401) return response;
  if (!(await refreshSession())) return response;
  return send(retry);
}

/** The typed API client (types generated from the platform's /openapi.json). */
export const api = createClient<paths>({ baseUrl: '', fetch: authFetch });

interface Answer<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

/** Unwraps an openapi-fetch answer: the data, or an ApiError with the server's problem detail. */
export async function ok<T>(call: Promise<Answer<T>>): Promise<T> {
  const answer = await call;
  if (answer.response.ok) return answer.data as T;
  const problem = answer.error as { detail?: string; title?: string; code?: string } | undefined;
  if (problem !== undefined && typeof problem === 'object') {
    throw new ApiError(answer.response.status, problem, `${answer.response.status} request failed`);
  }
  throw await errorFromResponse(answer.response);
}

/** GET of a non-JSON resource (CSV), authenticated, as a Blob. */
export async function fetchBlob(url: string): Promise<Blob> {
  const response = await authFetch(new Request(url));
  if (!response.ok) throw await errorFromResponse(response);
  return response.blob();
}

/** Saves a Blob as a file through a temporary link. */
export function saveBlob(blob: Blob, filename: string): void {
  const href = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = href;
  link.download = filename;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(href), 1000);
}
