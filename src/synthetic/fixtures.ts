/**
 * The committed synthetic fixtures (`fixtures/synthetic/`): which options produce which file. A test
 * checks that each committed file equals the generator's output, so any change that alters the data of
 * a seed is seen; regenerate on purpose with `UPDATE_SYNTHETIC_FIXTURES=1 npx jest test/synthetic`.
 */
import { generateDemandes, GenerationMode, type GenerateOptions } from './generate';

export interface FixtureSet {
  file: string;
  description: string;
  options: GenerateOptions;
}

export const fixtureSets: readonly FixtureSet[] = [
  {
    file: 'rennes-metropole-seed42.jsonl',
    description: '20 registered demands of the default territory (one lives in Corsica: index 5)',
    options: { count: 20, seed: 42 },
  },
  {
    file: 'pays-ajaccien-seed42.jsonl',
    description: '10 registered demands of the Pays Ajaccien (INSEE codes 2A...)',
    options: { count: 10, seed: 42, territory: 'pays-ajaccien' },
  },
  {
    file: 'creations-seed42.jsonl',
    description: '5 new demands without numéro unique, to be sent for registration',
    options: { count: 5, seed: 42, mode: GenerationMode.creation },
  },
];

/** The content of a fixture file: canonical JSON, one demand per line. */
export function renderFixture(set: FixtureSet): string {
  return generateDemandes(set.options)
    .map((d) => `${JSON.stringify(d)}\n`)
    .join('');
}
