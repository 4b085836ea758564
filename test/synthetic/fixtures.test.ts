/**
 * The committed synthetic fixtures equal the generator's output: a change that alters the data of a seed
 * fails here. To accept such a change on purpose: `UPDATE_SYNTHETIC_FIXTURES=1 npx jest test/synthetic`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { validateDemande } from '../../src/domain';
import { fixtureSets, renderFixture } from '../../src/synthetic';

const DIR = path.join(__dirname, '..', '..', 'fixtures', 'synthetic');
const update = process.env.UPDATE_SYNTHETIC_FIXTURES === '1';

describe('committed synthetic fixtures', () => {
  it.each(fixtureSets.map((s) => [s.file, s] as const))('%s equals the generator output', (_file, set) => {
    const expected = renderFixture(set);
    const file = path.join(DIR, set.file);
    if (update) fs.writeFileSync(file, expected);
    expect(fs.readFileSync(file, 'utf8')).toBe(expected);
  });

  it('holds valid demands, a Corsican address and accented names in the default sample', () => {
    const lines = fs.readFileSync(path.join(DIR, fixtureSets[0]!.file), 'utf8').trim().split('\n');
    expect(lines).toHaveLength(20);
    const demandes = lines.map((l) => JSON.parse(l) as unknown);
    for (const d of demandes) {
      const r = validateDemande(d);
      expect(r.ok && r.warnings.length === 0).toBe(true);
    }
    expect(lines.some((l) => /"code":"2[AB]\d{3}"/.test(l))).toBe(true);
    expect(lines.some((l) => /[^ -~]/.test(l))).toBe(true);
  });
});
