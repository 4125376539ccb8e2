/**
 * Every route declares who may call it in its `config.policy`. The auth layer enforces it and a
 * test enumerates all registered routes, so no route can exist without a policy.
 *  - public: anyone (health, docs, login)
 *  - viewer / operator / admin: an authenticated caller with at least that role
 *  - streamer: the 1NCE Data Streamer's Basic credentials
 */
export type Policy = 'public' | 'viewer' | 'operator' | 'admin' | 'streamer';

declare module 'fastify' {
  interface FastifyContextConfig {
    policy?: Policy;
  }
}
