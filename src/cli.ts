import { ConfigError, loadClientConfig, loadConfig, loadDotEnv } from './config.js';
import { createDb } from './db/client.js';
import { migrate } from './db/migrate.js';
import { runCreateUser } from './modules/users/create-user.command.js';
import { createApiClient } from './cli/api-client.js';
import { CliError, EXIT } from './cli/exit-codes.js';
import { simsCommand } from './cli/sims.command.js';

/**
 * `npm run cli -- <command>`: `migrate` and `create-user` open the database directly (DATABASE_URL
 * or DATA_DIR, as the server does); `sims ...` talks to a running platform over its REST API
 * (SIMFLEET_URL, SIMFLEET_API_KEY). Exit codes: src/cli/exit-codes.ts and docs/cli.md.
 */

const HELP = `Usage: npm run cli -- <command> [options]

Commands on the database (DATABASE_URL, or embedded PGlite under DATA_DIR):
  migrate        Apply pending database migrations (same runner and lock as start-up)
  create-user    Add a user: --username <name> [--email <address>] [--role admin|operator|viewer]
                 [--password <pw>] (password read from stdin when omitted)

Commands on a running platform (SIMFLEET_URL, default http://127.0.0.1:8000; SIMFLEET_API_KEY):
  sims list|show|export|import|sync|bulk ...   the fleet; "sims help" for options

  help           Show this help

Exit codes: 0 ok, 1 internal error, 2 usage error (or input refused), 3 authentication or role,
4 not found, 5 platform error or unreachable, 6 partly failed (bulk job).
`;

type Command = (args: string[]) => Promise<number>;

const commands: Record<string, Command> = {
  async migrate() {
    const config = loadConfig();
    const database = await createDb({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
    try {
      const result = await migrate(database);
      process.stdout.write(
        result.applied.length > 0
          ? `applied ${result.applied.length} migration(s): ${result.applied.join(', ')}\n`
          : `database schema up to date (${result.alreadyApplied} migrations)\n`,
      );
      return 0;
    } finally {
      await database.close();
    }
  },
  async 'create-user'(args) {
    const config = loadConfig();
    const database = await createDb({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
    try {
      await migrate(database);
      return await runCreateUser(args, database.db, process);
    } finally {
      await database.close();
    }
  },
  async sims(args) {
    const config = loadClientConfig();
    return simsCommand(args, { api: () => createApiClient(config), stdout: process.stdout, stderr: process.stderr });
  },
  help() {
    process.stdout.write(HELP);
    return Promise.resolve(0);
  },
};

async function run(argv: string[]): Promise<number> {
  // The command is the first argument; everything after it is the command's own (parsed strictly by it).
  const [name = 'help', ...rest] = argv;
  const command = commands[name === '--help' || name === '-h' ? 'help' : name];
  if (command === undefined) {
    process.stderr.write(`unknown command "${name}"\n\n${HELP}`);
    return EXIT.usage;
  }
  return command(rest);
}

/** Exits once what was written has been flushed (stdout may be a pipe a script reads). */
function exit(code: number): void {
  process.stdout.write('', () => process.exit(code));
}

loadDotEnv();
run(process.argv.slice(2)).then(exit, (error: unknown) => {
  if (error instanceof CliError) {
    process.stderr.write(`error: ${error.message}\n`);
    exit(error.code);
    return;
  }
  process.stderr.write(`${error instanceof ConfigError || error instanceof Error ? error.message : String(error)}\n`);
  exit(error instanceof ConfigError ? EXIT.usage : EXIT.internal);
});
