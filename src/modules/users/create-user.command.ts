import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import type { Kysely } from 'kysely';
import type { DB, UserRole } from '../../db/schema.js';
import { AppError } from '../../errors.js';
import { createAuditService } from '../audit/audit.service.js';
import { createPasswordHasher } from './password.js';
import { USER_ROLES } from './roles.js';
import { createUsersService } from './users.service.js';

export const CREATE_USER_HELP = `Usage: npm run cli -- create-user --username <name> [--email <address>] [--role admin|operator|viewer] [--password <password>]

Without --password the password is read from standard input (first line), or prompted for
without echo on a terminal. Prefer stdin: command-line arguments are visible to other local users.
`;

/** Where the command reads and writes; the CLI passes the process streams, tests pass buffers. */
export interface CommandIo {
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
}

async function readPassword(io: CommandIo): Promise<string> {
  if (io.stdin.isTTY === true) {
    io.stdout.write('Password: ');
    const rl = createInterface({ input: io.stdin, terminal: true });
    // Swallow the echo of typed characters.
    (rl as unknown as { _writeToOutput: (s: string) => void })._writeToOutput = () => undefined;
    const line = await new Promise<string>((resolve) => rl.question('', resolve));
    rl.close();
    io.stdout.write('\n');
    return line;
  }
  let text = '';
  for await (const chunk of io.stdin) text += typeof chunk === 'string' ? chunk : chunk.toString('utf8');
  return text.split(/\r?\n/)[0] ?? '';
}

/** `create-user`: adds a user (any role) directly in the database; returns the exit code. */
export async function runCreateUser(argv: string[], db: Kysely<DB>, io: CommandIo): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        username: { type: 'string' },
        email: { type: 'string' },
        role: { type: 'string', default: 'viewer' },
        password: { type: 'string' },
        help: { type: 'boolean' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    io.stderr.write(`${(error as Error).message}\n\n${CREATE_USER_HELP}`);
    return 2;
  }
  if (values.help === true) {
    io.stdout.write(CREATE_USER_HELP);
    return 0;
  }
  if (values.username === undefined) {
    io.stderr.write(`--username is required\n\n${CREATE_USER_HELP}`);
    return 2;
  }
  const role = values.role as UserRole;
  if (!USER_ROLES.includes(role)) {
    io.stderr.write(`--role must be one of ${USER_ROLES.join(', ')}\n`);
    return 2;
  }
  const password = values.password ?? (await readPassword(io));

  // Creating a user invalidates nothing (no cached lookup can exist for a new user), so this
  // command needs no connection to the servers' auth cache. A command that changes existing
  // users or keys must invalidate it (Redis) instead of passing this no-op.
  const users = createUsersService({ db, hasher: createPasswordHasher(), authCache: { invalidate: () => Promise.resolve() } });
  try {
    const user = await users.createUser({ username: values.username, email: values.email ?? null, password, role });
    await createAuditService({ db, logger: { error: () => undefined } }).record({
      actor: { type: 'system', username: 'cli' },
      action: 'user.create',
      target: { type: 'user', id: String(user.id) },
      after: { ...user },
      outcome: 'success',
      detail: { via: 'cli' },
    });
    io.stdout.write(`created ${user.role} "${user.username}" (id ${user.id})\n`);
    return 0;
  } catch (error) {
    if (error instanceof AppError) {
      io.stderr.write(`${error.detail ?? error.message}\n`);
      return 1;
    }
    throw error;
  }
}
