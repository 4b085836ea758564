/**
 * `passerelle start [--role all|scheduler|worker|web]`: the daemon. One process does everything by
 * default; roles split it across processes or machines (several workers on one Redis scale out).
 */
import type { Command } from 'commander';
import { gatewayFromFile } from '../../daemon/assemble';
import { ALL_ROLES, Role } from '../../daemon/gateway';
import { stopOnSignals } from '../../daemon/lifecycle';
import { ValidationError } from '../../errors';
import { configPathFrom, withConfigOption } from '../support';

export function parseRoles(value: string): Role[] {
  const parts = value.split(',').map((p) => p.trim()).filter(Boolean);
  if (parts.includes('all')) return ALL_ROLES;
  const known = Object.values(Role) as string[];
  const bad = parts.filter((p) => !known.includes(p));
  if (bad.length || parts.length === 0) {
    throw new ValidationError('CLI_ROLE', [{ path: '--role', rule: 'enum', message: `roles are all, ${known.join(', ')} (comma-separated)` }]);
  }
  return parts as Role[];
}

export function register(program: Command): void {
  withConfigOption(
    program
      .command('start')
      .description('run the daemon: schedulers, workers and the web server (or some of them with --role)')
      .option('-r, --role <roles>', 'all | scheduler | worker | web, comma-separated', 'all'),
  ).action(async (options: { config?: string; role: string }) => {
    const gateway = gatewayFromFile(configPathFrom(options), parseRoles(options.role));
    stopOnSignals({ logger: gateway.logger, closeables: [gateway] });
    try {
      await gateway.start();
    } catch (e) {
      await gateway.close(1_000);
      throw e;
    }
    if (gateway.webUrl) gateway.logger.info('dashboard', { url: `${gateway.webUrl}/queues` });
  });
}
