import { parseArgs } from 'node:util';
import { ConfigError, loadConfig, loadDotEnv } from './config.js';
import { createDb } from './db/client.js';
import { migrate } from './db/migrate.js';
import { runCreateUser } from './modules/users/create-user.command.js';

/** `npm run cli -- <command>`: operational commands that run without the HTTP server. */

const HELP = `Usage: npm run cli -- <command> [options]

Commands:
  migrate        Apply pending database migrations (same runner and lock as start-up)
  create-user    Add a user: --username <name> [--email <address>] [--role admin|operator|viewer]
                 [--password <pw>] (password read from stdin when omitted)
  help           Show this help
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
  async 'create-user'() {
    // Options are parsed by the command itself (strictly), from the arguments after its name.
    const argv = process.argv.slice(process.argv.indexOf('create-user') + 1);
    const config = loadConfig();
    const database = await createDb({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
    try {
      await migrate(database);
      return await runCreateUser(argv, database.db, process);
    } finally {
      await database.close();
    }
  },
  help() {
    process.stdout.write(HELP);
    return Promise.resolve(0);
  },
};

async function run(argv: string[]): Promise<number> {
  const { positionals } = parseArgs({ args: argv, allowPositionals: true, strict: false });
  const [name = 'help', ...rest] = positionals;
  const command = commands[name];
  if (command === undefined) {
    process.stderr.write(`unknown command "${name}"\n\n${HELP}`);
    return 2;
  }
  return command(rest);
}

loadDotEnv();
run(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`${error instanceof ConfigError || error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
