/**
 * Seeded synthetic demands for fixtures, tests, the demo, the simulators and the benchmarks.
 * Synthetic data only: names are common names combined at random, contacts use reserved ranges.
 */
export {
  CORSICA_PERIOD,
  DEFAULT_TODAY,
  GenerationMode,
  asciiFold,
  generateDemande,
  generateDemandes,
  iterateDemandes,
  type DemandeOptions,
  type GenerateOptions,
} from './generate';
export { personalValuesOf } from './personal-values';
export { Rng, seedHash, type Seed } from './prng';
export { DEFAULT_TERRITORY, isTerritoryKey, territories, type CommunePreset, type DeskPreset, type TerritoryKey, type TerritoryPreset } from './territories';
export {
  OutputFormat,
  fileTimestamp,
  sneFileName,
  writeDataSet,
  type BuildInterfaceNuu,
  type InterfaceNuuInput,
  type WriteDataSetOptions,
  type WrittenFile,
} from './files';
export { fixtureSets, renderFixture, type FixtureSet } from './fixtures';
export {
  generateEvenements,
  iterateEvenements,
  InvalidKind,
  IrrecevabiliteFollowUp,
  type EvenementsOptions,
  type GenerateEvenementsOptions,
  type SyntheticEvenement,
} from './events';
