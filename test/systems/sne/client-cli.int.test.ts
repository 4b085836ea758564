/**
 * `passerelle sne get|radiees|dalo` run as an operator runs them (`node bin/passerelle.js`, a config
 * file whose secrets come from the environment) against the SNE simulator on loopback.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { generateDemande } from '../../../src/synthetic';
import { startSneSimulator, type RunningSneSimulator } from '../../../src/simulators/sne';
import { minimalConfig, minimalEnv, toYaml, workDir } from '../../config/support';

const ROOT = path.join(__dirname, '../../..');
// Each run starts a Node process that compiles the CLI with ts-node: seconds, more on a busy machine.
jest.setTimeout(120_000);
const SEED = 'cli';

interface Run {
  code: number;
  out: string;
  err: string;
}

describe('passerelle sne', () => {
  let sim: RunningSneSimulator;
  let work: ReturnType<typeof workDir>;
  let configPath: string;

  function run(...args: string[]): Promise<Run> {
    const env: NodeJS.ProcessEnv = { ...process.env, ...minimalEnv() };
    delete env.PASSERELLE_CONFIG;
    delete env.PASSERELLE_SNE_URL;
    return new Promise((resolve) => {
      execFile(process.execPath, ['bin/passerelle.js', 'sne', ...args, '--config', configPath], { cwd: ROOT, env, timeout: 100_000 }, (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        resolve({ code, out: stdout, err: stderr });
      });
    });
  }

  beforeAll(async () => {
    sim = await startSneSimulator({ seed: SEED, count: 40 });
    work = workDir();
    configPath = work.write('passerelle.yaml', toYaml({ ...minimalConfig(), sne: { url: sim.url, guichet: 'G0123', timeoutMs: 5000 } }));
  });
  afterAll(async () => {
    await sim.close();
    work.cleanup();
  });
  afterEach(() => sim.faults.clear());

  it('get prints the demand as canonical JSON', async () => {
    const d = generateDemande(SEED, 3);
    const r = await run('get', d.numUnique as string);
    expect(r).toMatchObject({ code: 0, err: '' });
    expect(JSON.parse(r.out)).toEqual(d);
  });

  it('get exits with 1 when the SNE does not know the numéro unique', async () => {
    const r = await run('get', '035032599999G0123');
    expect(r.code).toBe(1);
    expect(r.out).toBe('');
    expect(r.err).toMatch(/not found/);
  });

  it('radiees and dalo print every demand since the date, as the simulator lists them', async () => {
    const radiees = await run('radiees', '--since', '2000-01-01T00:00:00+01:00');
    expect(radiees.code).toBe(0);
    const expected = (await sim.store.radieesDepuis(Date.parse('2000-01-01T00:00:00+01:00'))).map((r) => r.demande);
    expect(expected.length).toBeGreaterThan(0);
    expect(JSON.parse(radiees.out)).toMatchObject({ count: expected.length, demandes: expected, quarantined: [] });

    const dalo = await run('dalo', '--since', '2000-01-01T00:00:00Z');
    expect(dalo.code).toBe(0);
    const daloExpected = (await sim.store.daloDepuis(Date.parse('2000-01-01T00:00:00Z'))).map((r) => r.demande.numUnique);
    expect((JSON.parse(dalo.out) as { demandes: Array<{ numUnique: string }> }).demandes.map((d) => d.numUnique)).toEqual(daloExpected);
  });

  it('exits with 2 and prints the class, code and message of a failure', async () => {
    sim.faults.add({ kind: 'maintenance', count: 1, retryAfterSeconds: 60 });
    const down = await run('get', generateDemande(SEED, 4).numUnique as string);
    expect(down.code).toBe(2);
    expect(down.out).toBe('');
    expect(down.err).toMatch(/^error: transient SNE_MAINTENANCE: .*503/m);

    const badDate = await run('radiees', '--since', 'yesterday');
    expect(badDate.code).toBe(2);
    expect(badDate.err).toMatch(/^error: permanent CLI_ARGUMENT: --since/m);
  });
});
