import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { Config } from '../../config.js';
import { Conflict } from '../../errors.js';
import type { AuditService } from '../audit/audit.service.js';
import type { UsersService } from './users.service.js';

/** The username of the demo-mode admin when ADMIN_USERNAME is unset. */
export const DEMO_ADMIN_USERNAME = 'admin';

export type BootstrapResult =
  | { created: false; reason: 'users_exist' | 'not_configured' }
  | { created: true; username: string; generatedPassword: false }
  /** `password` is the generated one, for the start banner only (it is stored nowhere). */
  | { created: true; username: string; generatedPassword: true; password: string };

export interface BootstrapDeps {
  config: Pick<Config, 'admin' | 'demoMode'>;
  users: UsersService;
  audit: AuditService;
  logger: Pick<Logger, 'info' | 'warn'>;
}

/**
 * Creates the first admin when the database has no users: from ADMIN_USERNAME / ADMIN_PASSWORD,
 * or in demo mode `admin` with a generated password that appears once in the start-up log and is
 * stored nowhere else. Replicas racing here are harmless: the loser hits the unique index.
 */
export async function ensureFirstAdmin({ config, users, audit, logger }: BootstrapDeps): Promise<BootstrapResult> {
  if ((await users.countUsers()) > 0) return { created: false, reason: 'users_exist' };

  let username = config.admin.username;
  let password = config.admin.password;
  let generatedPassword = false;
  if (username === undefined || password === undefined) {
    if (!config.demoMode) {
      logger.warn('no users exist; set ADMIN_USERNAME and ADMIN_PASSWORD or run `npm run cli -- create-user`');
      return { created: false, reason: 'not_configured' };
    }
    username = DEMO_ADMIN_USERNAME;
    password = randomBytes(18).toString('base64url');
    generatedPassword = true;
  }

  let user;
  try {
    user = await users.createUser({ username, password, role: 'admin' });
  } catch (error) {
    if (error instanceof Conflict) return { created: false, reason: 'users_exist' };
    if (error instanceof Error) {
      throw new Error(`ADMIN_USERNAME / ADMIN_PASSWORD were refused: ${error.message}`, { cause: error });
    }
    throw error;
  }
  await audit.recordSafely({
    actor: { type: 'system' },
    action: 'user.bootstrap_admin',
    target: { type: 'user', id: String(user.id) },
    after: { ...user },
    outcome: 'success',
  });
  if (generatedPassword) {
    // The only place this password ever exists outside the hash; the message (not a field) keeps it out of redaction.
    logger.warn(`demo mode: created admin user "${username}" with password ${password} (shown once; change it after signing in)`);
  } else {
    logger.info({ username }, 'created the first admin from ADMIN_USERNAME');
  }
  return generatedPassword ? { created: true, username, generatedPassword, password } : { created: true, username, generatedPassword };
}
