import { randomBytes } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * The JWT signing secret. Production sets JWT_SECRET; demo mode generates one on first start and
 * keeps it under DATA_DIR (mode 0600) so sessions survive a restart like the data does.
 *
 * Several processes may share DATA_DIR and start at once. The secret is written to a private
 * temporary file and then hard-linked to its final name: the link either appears complete or not
 * at all, and only one process's link succeeds. Every other process reads the winner's secret, so
 * all of them sign (and seal provider secrets) with the same key.
 */
export function resolveJwtSecret(configured: string | undefined, dataDir: string): { secret: string; generated: boolean } {
  if (configured !== undefined) return { secret: configured, generated: false };
  const file = path.resolve(dataDir, 'jwt-secret');
  const existing = readSecret(file);
  if (existing !== undefined) return { secret: existing, generated: false };

  mkdirSync(path.dirname(file), { recursive: true });
  const secret = randomBytes(48).toString('base64url');
  const temporary = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  writeFileSync(temporary, `${secret}\n`, { mode: 0o600 });
  try {
    linkSync(temporary, file);
    return { secret, generated: true };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    // Another process won: use its secret. A file too short to be a secret (damaged) is replaced.
    const winner = readSecret(file);
    if (winner !== undefined) return { secret: winner, generated: false };
    renameSync(temporary, file);
    return { secret, generated: true };
  } finally {
    rmSync(temporary, { force: true });
  }
}

function readSecret(file: string): string | undefined {
  try {
    const existing = readFileSync(file, 'utf8').trim();
    return existing.length >= 32 ? existing : undefined;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}
