/**
 * `passerelle dead-letters`: what failed and was parked, with its code, origin and reason (never the
 * original input). Exit code 1 when open dead letters are listed, so a script can alert on it.
 */
import type { Command } from 'commander';
import type { Role } from '../../daemon/gateway';
import { gatewayFromFile } from '../../daemon/assemble';
import { ValidationError } from '../../errors';
import { DeadLetterStatus, type DeadLetterQuery } from '../../state/dead-letters';
import { ExitCode, configPathFrom, out, table, withConfigOption } from '../support';

interface Options {
  config?: string;
  code?: string;
  system?: string;
  demande?: string;
  status: string;
  since?: string;
  limit: string;
  json?: boolean;
}

const STATUSES = ['all', ...Object.values(DeadLetterStatus)];

export function register(program: Command): void {
  withConfigOption(
    program
      .command('dead-letters')
      .description('list dead letters (exit 1 when open ones are listed)')
      .option('--code <code>', 'only this code')
      .option('--system <system>', 'only this system (sne, spta:35, local)')
      .option('--demande <numUnique>', 'only this demand')
      .option('--status <status>', `${STATUSES.join(' | ')}`, DeadLetterStatus.open)
      .option('--since <iso>', 'only those parked since this date-time')
      .option('-n, --limit <n>', 'how many', '100')
      .option('--json', 'JSON lines (without the sealed input)'),
  ).action(async (options: Options) => {
    if (!STATUSES.includes(options.status)) {
      throw new ValidationError('CLI_USAGE', [{ path: '--status', rule: 'enum', message: `must be one of ${STATUSES.join(', ')}` }]);
    }
    if (options.since !== undefined && Number.isNaN(Date.parse(options.since))) {
      throw new ValidationError('CLI_USAGE', [{ path: '--since', rule: 'date-time', message: 'must be an ISO date-time' }]);
    }
    const query: DeadLetterQuery = {
      limit: Number(options.limit),
      ...(options.code ? { code: options.code } : {}),
      ...(options.system ? { system: options.system } : {}),
      ...(options.demande ? { numUnique: options.demande } : {}),
      ...(options.status !== 'all' ? { status: options.status as DeadLetterStatus } : {}),
      ...(options.since ? { since: options.since } : {}),
    };
    const gateway = gatewayFromFile(configPathFrom(options), [] as Role[]);
    try {
      await gateway.start();
      const found = await gateway.deadLetters.search(query);
      if (options.json) {
        found.forEach(({ sealedInput, ...d }) => out(JSON.stringify({ ...d, hasInput: sealedInput !== undefined })));
      } else if (found.length === 0) {
        out('no dead letter matches');
      } else {
        out(
          table(
            found.map((d) => ({
              id: d.id,
              at: d.at,
              status: d.status,
              system: d.system,
              code: d.code,
              numUnique: d.numUnique,
              origin: d.origin,
              attempts: d.attempts,
              message: d.message.length > 120 ? `${d.message.slice(0, 117)}...` : d.message,
            })),
            ['id', 'at', 'status', 'system', 'code', 'numUnique', 'origin', 'attempts', 'message'],
          ),
        );
      }
      process.exitCode = found.some((d) => d.status === DeadLetterStatus.open) ? ExitCode.findings : ExitCode.ok;
    } finally {
      await gateway.close();
    }
  });
}
