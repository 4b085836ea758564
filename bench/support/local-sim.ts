/** Child process: the local-tool simulator for a benchmark. Prints `{"url": ...}` then serves until killed. */
import { startLocalSimulator } from '../../src/simulators/local';
import { Demande } from '../../src/domain';
import { issuesFromZod } from '../../src/domain/validate';

async function main(): Promise<void> {
  const [dbPath, token] = process.argv.slice(2) as [string, string];
  const sim = await startLocalSimulator({
    token,
    dbPath,
    validateRecord: (record) => {
      const r = Demande.safeParse(record);
      return r.success ? [] : issuesFromZod(r.error);
    },
  });
  process.stdout.write(`${JSON.stringify({ url: sim.url })}\n`);
  process.on('SIGTERM', () => {
    void sim.close().then(() => process.exit(0));
  });
}

void main();
