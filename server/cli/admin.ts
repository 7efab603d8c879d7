import path from 'node:path';
import { parseArgs } from 'node:util';
import { CLASSROOM_FILE_NAME, SqliteClassroomStore } from '../../prisma-free-db';
import { AuthService, normalizeEmail } from '../auth/auth-service';
import { ConfigError, loadConfig } from '../config';
import { createLogger } from '../logger';

const USAGE = `Tandem admin commands (run with the same env as the server, e.g. DATA_DIR):

  npm run admin -- create-admin --email <email> [--name <display name>]
      Create an admin account (or make an existing account admin) and print a one-time link
      to set its password.
  npm run admin -- reset-link --email <email>
      Print a one-time password reset link for an account.
`;

/**
 * First-run and recovery commands for campus IT. They open the classroom store directly (SQLite
 * allows this next to a running server) and print a reset link instead of taking a password on
 * the command line, where it would land in shell history.
 */
async function main(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { email: { type: 'string' }, name: { type: 'string' }, help: { type: 'boolean' } },
  });
  const command = positionals[0];
  if (values.help || !command || !['create-admin', 'reset-link'].includes(command) || !values.email) {
    process.stdout.write(USAGE);
    return values.help ? 0 : 64; // EX_USAGE
  }
  const config = loadConfig();
  const store = SqliteClassroomStore.open(path.join(config.dataDir, CLASSROOM_FILE_NAME));
  // Reset links go to stdout, not to a log.
  const auth = new AuthService({
    store,
    logger: createLogger('silent'),
    sessionTtlMs: config.sessionTtlMs,
    resetTtlMs: 24 * 3600_000,
    publicUrl: config.publicUrl ?? `http://localhost:${config.port}`,
  });
  try {
    const email = normalizeEmail(values.email);
    let user = await store.getUserByEmail(email);
    if (command === 'create-admin') {
      if (user) {
        user = (await store.updateUser(user.id, { role: 'admin', disabledAt: null }))!;
        process.stdout.write(`${email} is now an admin.\n`);
      } else {
        user = await auth.createAccount({ email, password: null, displayName: values.name ?? 'Administrator', role: 'admin' });
        process.stdout.write(`Created admin ${email}.\n`);
      }
    } else if (!user) {
      process.stderr.write(`No account has the email ${email}.\n`);
      return 1;
    }
    const link = await auth.createResetLink(user.id);
    process.stdout.write(`Set the password within 24 hours at:\n  ${link}\n`);
    return 0;
  } finally {
    await store.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(78);
    }
    process.stderr.write(`admin command failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
