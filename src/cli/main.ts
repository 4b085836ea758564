/**
 * The `passerelle` command line. Each command lives in `commands/<name>.ts` and registers itself on the
 * program; this file only assembles them and maps failures to exit codes scripts can use:
 * 0 done, 1 done with findings or problems, 2 error (bad config, unreadable input, unreachable system).
 */
import { Command, CommanderError } from 'commander';
import { commands } from './commands';
import { ExitCode, reportFatal } from './support';

export function buildProgram(): Command {
  const program = new Command('passerelle')
    .description(
      "Gateway between an EPCI's shared-management tool for social-housing demand and the SNE / SPTA systems",
    )
    .showHelpAfterError()
    .exitOverride();
  for (const register of commands) register(program);
  return program;
}

export async function main(argv: string[] = process.argv): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (e) {
    if (e instanceof CommanderError) {
      process.exitCode = e.exitCode === 0 ? ExitCode.ok : ExitCode.error;
      return;
    }
    reportFatal(e);
    process.exitCode = ExitCode.error;
  }
}

if (require.main === module || process.argv[1]?.endsWith('passerelle.js')) {
  void main();
}
