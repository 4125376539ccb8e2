import type { ApiClient } from './api-client.js';

/** What a `sims` command runs with: the API client (made on first use) and the output streams. */
export interface CliIo {
  api: () => ApiClient;
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
  /** Milliseconds between polls of a running job (tests shorten it). */
  pollMs?: number;
}
