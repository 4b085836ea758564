/**
 * `passerelle hash-password`: reads a password on standard input (never on the command line, where it
 * would stay in the shell history) and prints its scrypt hash for `web.users[].passwordHash`.
 */
import type { Command } from 'commander';
import { hashPassword } from '../../config/password';
import { ValidationError } from '../../errors';
import { out } from '../support';

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

export function register(program: Command): void {
  program
    .command('hash-password')
    .description('print the scrypt hash of a password read on standard input, for web.users[].passwordHash')
    .action(async () => {
      const password = await readStdin();
      if (password.length < 12) {
        throw new ValidationError('PASSWORD_WEAK', [{ path: 'password', rule: 'min-length', message: 'must be at least 12 characters' }]);
      }
      out(await hashPassword(password));
    });
}
