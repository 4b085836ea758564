/**
 * `passerelle replay` and `passerelle discard`: an operator's answers to a dead letter.
 *
 * - `replay --dead-letter ID [--dry-run]`: maps the original input again (current tables) and
 *   enqueues it; `--dry-run` prints what would be sent (file type, the event's block with free texts
 *   masked, the changed field paths) and changes nothing;
 * - `replay --code CODE [--system S] [--since ISO] [--dry-run]`: the same for every open dead letter found;
 * - `discard --dead-letter ID`: closes it (the demand's next events go on).
 *
 * Exit code 0 when everything asked was (or would be) replayed, 1 when some replay was refused (the
 * mapping still fails, already closed), 2 on error.
 */
import { userInfo } from 'node:os';
import type { Command } from 'commander';
import type { Role } from '../../daemon/gateway';
import { gatewayFromFile } from '../../daemon/assemble';
import { ValidationError } from '../../errors';
import type { BlockNode } from '../../mapping';
import { DEFAULT_MAPPINGS_DIR } from '../../mapping';
import { replayerOf, watchedMappings, type ReplayOutcome } from '../../push';
import { ExitCode, configPathFrom, out, withConfigOption } from '../support';

interface CommonOptions {
  config?: string;
  who?: string;
  mappings: string;
  target: string[];
  json?: boolean;
}

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

function operator(who: string | undefined): string {
  if (who) return who;
  try {
    return `cli:${userInfo().username}`;
  } catch {
    // No user name in this environment (a container without passwd entry): say it was the CLI.
    return 'cli';
  }
}

function blockLines(b: BlockNode, depth = 1): string[] {
  const attrs = Object.entries(b.attributes ?? {})
    .map(([k, v]) => ` ${k}="${v}"`)
    .join('');
  const head = `${'  '.repeat(depth)}<${b.name}${attrs}>${b.text ?? ''}`;
  return [head, ...(b.children ?? []).flatMap((c) => blockLines(c, depth + 1))];
}

function print(o: ReplayOutcome): void {
  out(`${o.deadLetterId}: ${o.ok ? (o.dryRun ? 'would replay' : 'replayed') : 'refused'}: ${o.message}`);
  for (const p of o.plan) {
    if (p.violations) {
      out(`  ${p.target}: mapping fails`);
      for (const v of p.violations) out(`    ${v.path}: ${v.message} [${v.rule}]`);
      continue;
    }
    if (!p.transmit) {
      out(`  ${p.target}: not transmitted (${p.reason ?? ''})`);
      continue;
    }
    out(`  ${p.target}: ${p.typeFichier ?? ''}; changed: ${p.changedPaths.length ? p.changedPaths.join(', ') : '(nothing in the demand)'}`);
    if (p.block) blockLines(p.block).forEach((l) => out(l));
  }
}

async function withReplayer<T>(options: CommonOptions, fn: (r: ReturnType<typeof replayerOf>) => Promise<T>): Promise<T> {
  const gateway = gatewayFromFile(configPathFrom(options), [] as Role[]);
  const tables = watchedMappings({ dir: options.mappings, checkEveryMs: 0, logger: gateway.logger });
  const targets = options.target.length ? options.target : ['sne'];
  try {
    await gateway.start();
    const replayer = replayerOf(gateway, { targets, tables });
    try {
      return await fn(replayer);
    } finally {
      await replayer.close();
    }
  } finally {
    await gateway.close();
  }
}

const common = (c: Command): Command =>
  withConfigOption(c)
    .option('--who <name>', 'who replays, for the audit trail (default: cli:<user>)')
    .option('--mappings <dir>', 'mapping tables folder', DEFAULT_MAPPINGS_DIR)
    .option('--target <target>', 'push target (repeatable; default sne)', collect, [] as string[])
    .option('--json', 'print the outcomes as JSON lines');

export function register(program: Command): void {
  common(
    program
      .command('replay')
      .description('replay dead letters from their original input, mapped again with the current tables (exit 1 when one is refused)')
      .option('--dead-letter <id>', 'one dead letter')
      .option('--code <code>', 'every open dead letter with this code')
      .option('--system <system>', 'with --code: only this system (sne, spta:35, local)')
      .option('--since <iso>', 'with --code: only those parked since this date-time')
      .option('--dry-run', 'say what would be sent; change nothing'),
  ).action(async (options: CommonOptions & { deadLetter?: string; code?: string; system?: string; since?: string; dryRun?: boolean }) => {
    if (!options.deadLetter === !options.code) {
      throw new ValidationError('CLI_USAGE', [{ path: '--dead-letter', rule: 'one-of', message: 'give either --dead-letter ID or --code CODE' }]);
    }
    const who = operator(options.who);
    const outcomes = await withReplayer(options, async (r) =>
      options.deadLetter
        ? [await r.replayDeadLetter({ id: options.deadLetter, who, ...(options.dryRun ? { dryRun: true } : {}) })]
        : r.replayByQuery(
            { code: options.code!, ...(options.system ? { system: options.system } : {}), ...(options.since ? { since: options.since } : {}) },
            { who, ...(options.dryRun ? { dryRun: true } : {}) },
          ),
    );
    for (const o of outcomes) {
      if (options.json) out(JSON.stringify(o));
      else print(o);
    }
    if (!options.json && outcomes.length === 0) out('no open dead letter matches');
    process.exitCode = outcomes.every((o) => o.ok) ? ExitCode.ok : ExitCode.findings;
  });

  common(
    program
      .command('discard')
      .description("close a dead letter without replaying it (the demand's next events go on)")
      .requiredOption('--dead-letter <id>', 'the dead letter')
      .option('--reason <text>', 'why, for the audit trail (no personal data)'),
  ).action(async (options: CommonOptions & { deadLetter: string; reason?: string }) => {
    const who = operator(options.who);
    const r = await withReplayer(options, (rp) => rp.discardDeadLetter({ id: options.deadLetter, who, ...(options.reason ? { detail: options.reason } : {}) }));
    out(options.json ? JSON.stringify({ deadLetterId: options.deadLetter, ...r }) : `${options.deadLetter}: ${r.message}`);
    process.exitCode = r.ok ? ExitCode.ok : ExitCode.findings;
  });
}
