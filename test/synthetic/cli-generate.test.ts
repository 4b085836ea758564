/** `passerelle generate`: reproducible files from the command line, errors as exit code 2. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { main } from '../../src/cli/main';
import { generateDemandes } from '../../src/synthetic';

const dirs: string[] = [];
function tmpDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'synthetic-cli-'));
  dirs.push(dir);
  return dir;
}

/** Runs the CLI in-process as bin/passerelle.js does, capturing its output and exit code. */
async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const o = jest.spyOn(process.stdout, 'write').mockImplementation((s) => ((out += String(s)), true));
  const e = jest.spyOn(process.stderr, 'write').mockImplementation((s) => ((err += String(s)), true));
  process.exitCode = undefined;
  try {
    await main(['node', 'passerelle', ...args]);
    return { code: Number(process.exitCode ?? 0), out, err };
  } finally {
    process.exitCode = undefined;
    o.mockRestore();
    e.mockRestore();
  }
}

afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

describe('passerelle generate', () => {
  it('writes the same XML dispatch files twice for the same seed and reference day', async () => {
    const [a, b] = [tmpDir(), tmpDir()];
    const args = ['--count', '30', '--seed', '42', '--per-file', '10', '--today', '2025-07-01'];
    const first = await run(['generate', ...args, '--out', a]);
    await run(['generate', ...args, '--out', b]);
    expect(first.code).toBe(0);
    expect(first.out).toMatch(/wrote 30 demands in \d+ file\(s\)/);
    const files = fs.readdirSync(a).sort();
    expect(files.every((f) => /^DEM(G\d{4}|GDPUB)-202507010300-\d{6}\.xml$/.test(f))).toBe(true);
    expect(fs.readdirSync(b).sort()).toEqual(files);
    for (const f of files) expect(fs.readFileSync(path.join(b, f), 'utf8')).toBe(fs.readFileSync(path.join(a, f), 'utf8'));
  });

  it('writes JSON lines equal to the library output for the same options', async () => {
    const dir = tmpDir();
    const r = await run(['generate', '--count', '8', '--seed', 'demo', '--out', dir, '--format', 'json', '--territory', 'pays-ajaccien', '--start-index', '100']);
    expect(r.code).toBe(0);
    const lines = fs.readFileSync(path.join(dir, 'demandes-000001.jsonl'), 'utf8').trim().split('\n');
    expect(lines).toEqual(generateDemandes({ count: 8, seed: 'demo', territory: 'pays-ajaccien', startIndex: 100 }).map((d) => JSON.stringify(d)));
  });

  it('exits with 2 on an unknown territory, a bad count or an unknown format', async () => {
    const dir = tmpDir();
    const unknown = await run(['generate', '--count', '3', '--seed', '1', '--out', dir, '--territory', 'atlantis']);
    expect(unknown.code).toBe(2);
    expect(unknown.err).toMatch(/SYNTHETIC_OPTIONS.*territory/);
    expect((await run(['generate', '--count', 'many', '--seed', '1', '--out', dir])).code).toBe(2);
    expect((await run(['generate', '--count', '3', '--seed', '1', '--out', dir, '--format', 'csv'])).code).toBe(2);
    expect(fs.readdirSync(dir)).toEqual([]);
  });
});
