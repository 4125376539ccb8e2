/**
 * Sends a job to the engine (src/jobs/engine.ts satisfies it). Services that queue work take it as
 * `jobs: () => JobSender | undefined`: absent until the job engine is running in this process.
 */
export interface JobSender {
  send<T>(name: string, data: T, options?: { singletonKey?: string; startAfter?: Date; priority?: number }): Promise<string | null>;
}
