/**
 * Seeded generator of realistic synthetic demands (canonical `Demande`), for fixtures, tests, the demo,
 * the simulators and the benchmarks.
 *
 * Demand `i` of a seed is a pure function of (seed, i, options): it has its own generator derived from
 * the seed and the index, so `generateDemande(seed, i)` gives the same record as the i-th item of
 * `generateDemandes` or `iterateDemandes`, and a simulator can regenerate any demand without storing
 * the data set. Every record is canonical (keys in schema order, lists present) and passes
 * `validateDemande` without warnings. Distributions and their rationale: ./distributions.ts.
 */
import { ValidationError, type Issue } from '../errors';
import { addDays, addMonths, codesOf, IsoDate as IsoDateSchema, type Demande, type IsoDate } from '../domain';
import {
  collectiveModels,
  communeCounts,
  hostedModels,
  housingModels,
  motifCounts,
  noDwellingModels,
  precariousModels,
  rates,
} from './distributions';
import { dateBetween, generateDates, generateSituation, numUniqueFor, sequenceOffset, type Situation } from './lifecycle';
import { precisionTexts } from './names';
import { clamp, generateHousehold, householdSize, sizeForRooms, type Adult, type Household } from './people';
import { Rng, seedHash, type Seed } from './prng';
import { addResource, familyResources, generateWork, personalResources, taxIncome, type PersonMoney } from './resources';
import { commonStreets, DEFAULT_TERRITORY, isTerritoryKey, territories, type CommunePreset, type TerritoryKey, type TerritoryPreset } from './territories';

/** The fixed reference day of generated data sets when no `today` is given: outputs stay reproducible. */
export const DEFAULT_TODAY: IsoDate = '2025-03-14';

/** Every `CORSICA_PERIOD` indexes, one applicant lives in Corsica (index ≡ 5): any data set of the default
 * territory with at least 6 demands from index 0, or 64 consecutive ones, has a Corsican INSEE code. */
export const CORSICA_PERIOD = 64;
const CORSICA_INDEX = 5;

export const GenerationMode = {
  /** Demands already registered: numéro unique, renewals, radiations, DALO, labels. */
  registered: 'registered',
  /** New demands filed in the last days, without numéro unique, to be sent for registration. */
  creation: 'creation',
} as const;
export type GenerationMode = (typeof GenerationMode)[keyof typeof GenerationMode];

export interface DemandeOptions {
  /** Territory preset (default `rennes-metropole`). */
  territory?: TerritoryKey | string;
  /** The day the data set describes, `YYYY-MM-DD` (default `DEFAULT_TODAY`, never the wall clock). */
  today?: IsoDate;
  mode?: GenerationMode;
}

export interface GenerateOptions extends DemandeOptions {
  count: number;
  seed: Seed;
  /** Index of the first demand (default 0): demands `startIndex .. startIndex + count - 1`. */
  startIndex?: number;
}

interface Resolved {
  territory: TerritoryPreset;
  today: IsoDate;
  creation: boolean;
}

function resolve(options: DemandeOptions): Resolved {
  const issues: Issue[] = [];
  const key = options.territory ?? DEFAULT_TERRITORY;
  if (!isTerritoryKey(key)) {
    issues.push({ path: 'territory', rule: 'known-territory', message: `must be one of ${Object.keys(territories).join(', ')}` });
  }
  const today = options.today ?? DEFAULT_TODAY;
  if (!IsoDateSchema.safeParse(today).success) {
    issues.push({ path: 'today', rule: 'date', message: 'must be a real date written YYYY-MM-DD' });
  }
  const mode = options.mode ?? GenerationMode.registered;
  if (mode !== GenerationMode.registered && mode !== GenerationMode.creation) {
    issues.push({ path: 'mode', rule: 'enum', message: 'must be registered or creation' });
  }
  if (issues.length) throw new ValidationError('SYNTHETIC_OPTIONS', issues);
  return { territory: territories[key as TerritoryKey], today, creation: mode === GenerationMode.creation };
}

function checkRange(count: number, startIndex: number): void {
  const issues: Issue[] = [];
  if (!Number.isSafeInteger(count) || count < 0) issues.push({ path: 'count', rule: 'integer', message: 'must be a whole number ≥ 0' });
  if (!Number.isSafeInteger(startIndex) || startIndex < 0) {
    issues.push({ path: 'startIndex', rule: 'integer', message: 'must be a whole number ≥ 0' });
  }
  if (issues.length) throw new ValidationError('SYNTHETIC_OPTIONS', issues);
}

/** Demand `index` of `seed`, alone. */
export function generateDemande(seed: Seed, index: number, options: DemandeOptions = {}): Demande {
  checkRange(1, index);
  return build(seed, seedHash(seed), index, resolve(options));
}

/** Demands `startIndex .. startIndex + count - 1`, one at a time (300,000 without holding them all). */
export function iterateDemandes(options: GenerateOptions): Generator<Demande, void, undefined> {
  // Options are checked now, not at the first `next()`: a caller learns of a mistake before any I/O.
  const start = options.startIndex ?? 0;
  checkRange(options.count, start);
  const resolved = resolve(options);
  const hash = seedHash(options.seed);
  return (function* () {
    for (let i = start; i < start + options.count; i++) yield build(options.seed, hash, i, resolved);
  })();
}

/** Demands `startIndex .. startIndex + count - 1`, as an array. */
export function generateDemandes(options: GenerateOptions): Demande[] {
  return Array.from(iterateDemandes(options));
}

// ---- assembly ------------------------------------------------------------------------------------

function build(seed: Seed, hash: number, index: number, r: Resolved): Demande {
  const rng = Rng.forIndex(seed, index);
  const { territory, today, creation } = r;

  const situation = generateSituation(rng, today, creation);
  const household = generateHousehold(rng, territory, situation.ref);
  const dates = generateDates(rng, situation, today, household.applicant.age - 20, creation);
  keepAdultAtFiling(rng, household.applicant, dates.dateCreationDemande);

  const disabled = rng.chance(household.applicant.age >= 50 ? rates.handicap * 1.5 : rates.handicap);
  const home = homeCommune(rng, territory, index);
  const adults: Adult[] = household.coHolder ? [household.applicant, household.coHolder] : [household.applicant];
  const money = adults.map((a, i): PersonMoney => {
    const workplace = rng.weighted(territory.communes.map((c) => [c, c.weight] as const));
    const work = generateWork(rng, a.age, disabled && i === 0, workplace);
    return { work, recues: personalResources(rng, work, disabled && i === 0, adults.length), versees: [] };
  });
  const applicantMoney = money[0]!;
  const childAges = household.dependants.filter((d) => d.lienParente === 'E').map((d) => d.age);
  const disabledChild = disabled && childAges.length > 0 && rng.chance(0.15);
  for (const f of familyResources(rng, childAges, { singleParent: household.kind === 'monoparental', disabledChild })) {
    addResource(applicantMoney.recues, f.code, f.montant);
  }
  if (household.custody.length > 0 && rng.chance(0.5)) addResource(applicantMoney.versees, 'PAV', rng.int(100, 400));
  else if (household.kind === 'seul' && household.applicant.situationFamiliale === 'D' && rng.chance(0.05)) {
    addResource(applicantMoney.versees, 'PAV', rng.int(100, 300));
  }
  const refYear = Number(situation.ref.slice(0, 4));

  const logementActuel = currentHousing(rng, household, applicantMoney.work.contract, disabled);
  const motifs = chooseMotifs(rng, household, logementActuel, disabled, applicantMoney.work.contract);
  const desk = rng.weighted(territory.desks.map((d) => [d, d.weight] as const));
  const priority = priorityBlocks(rng, situation, dates.dateCreationDemande, logementActuel.modeles[0] ?? '', creation, territory);

  const demande: Demande = {
    ...(creation ? {} : { numUnique: numUniqueFor(territory, dates.dateCreationDemande, index, sequenceOffset(hash), desk) }),
    numGuichet: desk.code,
    dateCreationDemande: dates.dateCreationDemande,
    ...(dates.dateDernierRenouvellement ? { dateDernierRenouvellement: dates.dateDernierRenouvellement } : {}),
    demandeur: {
      ...personFields(rng, household.applicant, applicantMoney, refYear),
      ...contact(rng, household.applicant, home, territory),
    },
    cotitulaires: household.coHolder
      ? [{ ...personFields(rng, household.coHolder, money[1]!, refYear), lienDemandeur: household.coHolder.lienDemandeur }]
      : [],
    personnesACharge: household.dependants.map((d) => ({
      nom: d.nom,
      prenom: d.prenom,
      dateNaissance: d.dateNaissance,
      sexe: d.sexe,
      lienParente: d.lienParente,
    })),
    ...(household.unborn ? { personneANaitre: { ...household.unborn } } : {}),
    personnesEnGarde: household.custody.map((c) => ({ dateNaissance: c.dateNaissance, sexe: c.sexe, coParentalite: c.coParentalite })),
    ...dependantResources(rng, household),
    logementActuel,
    logementRecherche: wantedHousing(rng, household, territory, home),
    motifs,
    ...(disabled ? { handicap: handicapBlock(rng) } : {}),
    ...(priority.dalo ? { dalo: priority.dalo } : {}),
    ...(priority.accordCollectif ? { accordCollectif: priority.accordCollectif } : {}),
    labels: priority.labels,
    contingents: contingentsOf(rng, money, priority),
    ...(situation.radiation ? { radiation: radiationBlock(rng, situation.radiation, household.applicant) } : {}),
  };
  return demande;
}

/** An applicant must have been 18 at filing: make them older when the draw says otherwise. */
function keepAdultAtFiling(rng: Rng, applicant: Adult, filed: IsoDate): void {
  if (addMonths(applicant.dateNaissance, 12 * 18) <= filed) return;
  applicant.dateNaissance = addDays(addMonths(filed, -12 * 18), -rng.int(1, 200));
}

function personFields(rng: Rng, p: Adult, m: PersonMoney, refYear: number) {
  // People who just arrived in France have no tax return yet.
  const noTaxReturn = p.nationalite === '3' && rng.chance(0.15);
  return {
    civilite: p.civilite,
    nom: p.nom,
    ...(p.nomPatronymique ? { nomPatronymique: p.nomPatronymique } : {}),
    prenom: p.prenom,
    dateNaissance: p.dateNaissance,
    nationalite: p.nationalite,
    situationFamiliale: p.situationFamiliale,
    situationProfessionnelle: m.work.situation,
    ...(noTaxReturn ? {} : { revenuFiscal: taxIncome(rng, m.recues, m.versees, refYear) }),
    ressourcesRecues: m.recues,
    ressourcesVersees: m.versees,
  };
}

// ---- where the applicant lives, how to reach them ---------------------------------------------------

interface Home {
  commune?: CommunePreset;
  /** In the territory's communes (may be put first among the wanted communes). */
  inTerritory: boolean;
  abroad?: { voie: string; codePostal: string };
}

const ABROAD: ReadonlyArray<{ voie: string; codePostal: string }> = [
  { voie: 'Rua Augusta', codePostal: '1100-048' },
  { voie: 'Calle Mayor', codePostal: '28013' },
  { voie: 'Rue de la Loi', codePostal: '1000' },
  { voie: 'Hauptstraße', codePostal: '10115' },
  { voie: 'Boulevard Mohammed V', codePostal: '20000' },
];

function homeCommune(rng: Rng, territory: TerritoryPreset, index: number): Home {
  if (index % CORSICA_PERIOD === CORSICA_INDEX && territory.department !== '2A' && territory.department !== '2B') {
    return { commune: rng.pick(territory.corsica), inTerritory: false };
  }
  if (rng.chance(rates.livesAbroad)) return { abroad: rng.pick(ABROAD), inTerritory: false };
  if (rng.chance(rates.livesElsewhere)) {
    return { commune: rng.weighted(territory.elsewhere.map((c) => [c, c.weight] as const)), inTerritory: false };
  }
  return { commune: rng.weighted(territory.communes.map((c) => [c, c.weight] as const)), inTerritory: true };
}

/** Lower-case ASCII for an email address: accents dropped, letters outside Latin-1 transliterated. */
export function asciiFold(s: string): string {
  return s
    .replace(/[Đđ]/g, 'd')
    .replace(/ı/g, 'i')
    .replace(/[Łł]/g, 'l')
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, '');
}

// Addresses reserved for examples (RFC 2606) and mobile numbers of the range ARCEP keeps for fiction.
const EMAIL_DOMAINS = ['example.org', 'example.net', 'example.com', 'exemple.test'] as const;

function contact(rng: Rng, applicant: Adult, home: Home, territory: TerritoryPreset) {
  const two = () => String(rng.int(0, 99)).padStart(2, '0');
  const telPortable = rng.chance(rates.phone) ? `06 39 98 ${two()} ${two()}` : undefined;
  const mel = rng.chance(rates.email)
    ? `${asciiFold(applicant.prenom)}.${asciiFold(applicant.nom)}${rng.int(1, 99)}@${rng.pick(EMAIL_DOMAINS)}`
    : undefined;
  const numero = `${rng.int(1, 180)}${rng.chance(0.06) ? ' bis' : ''}`;
  let adressePostale: NonNullable<Demande['demandeur']['adressePostale']>;
  if (home.abroad) {
    adressePostale = { etranger: true, numero, voie: home.abroad.voie, codePostal: home.abroad.codePostal };
  } else {
    const commune = home.commune ?? territory.communes[0]!;
    const streets = commune.streets && rng.chance(0.7) ? commune.streets : commonStreets;
    adressePostale = {
      etranger: false,
      numero,
      voie: rng.pick(streets),
      codePostal: rng.pick(commune.postcodes),
      commune: { code: commune.insee },
    };
  }
  return { ...(telPortable ? { telPortable } : {}), ...(mel ? { mel } : {}), adressePostale };
}

// ---- housing ---------------------------------------------------------------------------------------

const ROOM_CODES = ['C', 'T1', 'T2', 'T3', 'T4', 'T5', 'T6P'] as const;
function roomCode(rooms: number): string {
  return rooms >= 6 ? 'T6P' : `T${Math.max(1, rooms)}`;
}

/** Wanted dwelling types by size (household + unborn + custody): the usual occupancy of social housing. */
const WANTED_BY_SIZE: ReadonlyArray<ReadonlyArray<readonly [readonly string[], number]>> = [
  [[['T1'], 30], [['T1', 'T2'], 40], [['T2'], 20], [['C', 'T1'], 10]],
  [[['T2'], 50], [['T2', 'T3'], 35], [['T1', 'T2'], 15]],
  [[['T3'], 50], [['T2', 'T3'], 25], [['T3', 'T4'], 25]],
  [[['T3', 'T4'], 45], [['T4'], 35], [['T3'], 20]],
  [[['T4'], 40], [['T4', 'T5'], 40], [['T3', 'T4'], 20]],
  [[['T5'], 40], [['T4', 'T5'], 35], [['T5', 'T6P'], 25]],
  [[['T5', 'T6P'], 50], [['T6P'], 50]],
];

function idealRooms(size: number): number {
  return size <= 3 ? size : size === 4 ? 3 : Math.min(6, size - 1);
}

function currentHousing(rng: Rng, h: Household, contract: string, disabled: boolean): Demande['logementActuel'] & object {
  const size = householdSize(h);
  const age = h.applicant.age;
  const weights = housingModels.map(([m, w]) => {
    let weight = w;
    if (age < 26 && m === 'CPE') weight *= 3;
    if (m === 'RE') weight = contract === 'ETU' && size <= 2 ? w * 15 : 0;
    if (age >= 65) weight *= m === 'CPE' ? 0.2 : m === 'HLM' ? 1.4 : m === 'POCC' ? 2 : m === 'SD' ? 0.3 : 1;
    if (m === 'CDEFCM' && !(age < 21 || (h.kind === 'monoparental' && age < 26))) weight = 0;
    if (h.kind === 'colocation') weight *= m === 'LP' ? 2 : m === 'CPE' ? 0.3 : 1;
    if (size >= 3 && (m === 'SD' || m === 'CAMCAR' || m === 'RS' || m === 'RHVS')) weight *= 0.4;
    if (m === 'FONC' && contract !== 'CDI' && contract !== 'CDD') weight = 0;
    if (m === 'POCC' && age < 35) weight *= 0.1;
    if (disabled && m === 'HLM') weight *= 1.3;
    return [m, weight] as const;
  });
  const model = rng.weighted(weights);
  const out: NonNullable<Demande['logementActuel']> = { modeles: [model] };

  let rooms: number | undefined;
  let typeLogement: string | undefined;
  if (collectiveModels.has(model)) {
    typeLogement = rng.chance(0.6) ? 'C' : 'T1';
    rooms = 1;
  } else if (!noDwellingModels.has(model)) {
    const ideal = idealRooms(size);
    if (model === 'CPE') rooms = rng.int(3, 5);
    // Older people whose children left often stay in the family dwelling (under-occupation).
    else if (age >= 55 && size <= 2 && (model === 'HLM' || model === 'LP' || model === 'POCC') && rng.chance(0.35)) rooms = ideal + rng.int(2, 3);
    else rooms = clamp(ideal + rng.weighted([[-1, 25], [0, 55], [1, 20]] as const), 1, 6);
    typeLogement = roomCode(rooms);
  }

  const rent = rentFor(rng, model, rooms ?? 1);
  if (rent !== undefined) out.montantMensuelLoyer = rent;
  out.nombreHabitant = size;
  if (typeLogement) {
    out.categorie = collectiveModels.has(model) ? 'A' : rng.chance(model === 'POCC' ? 0.7 : 0.2) ? 'M' : 'A';
    out.typeLogement = typeLogement;
    out.surface = typeLogement === 'C' ? rng.int(9, 20) : surfaceFor(rng, rooms ?? 1);
  }
  const owner = ownerFor(rng, model);
  if (owner) out.proprietaire = owner;
  return out;
}

function surfaceFor(rng: Rng, rooms: number): number {
  const ranges: ReadonlyArray<readonly [number, number]> = [[18, 35], [35, 55], [55, 75], [70, 90], [85, 110], [100, 140]];
  const [min, max] = ranges[clamp(rooms, 1, 6) - 1]!;
  return rng.int(min, max);
}

function rentFor(rng: Rng, model: string, rooms: number): number | undefined {
  const i = clamp(rooms, 1, 6) - 1;
  switch (model) {
    case 'HLM': {
      const r: ReadonlyArray<readonly [number, number]> = [[230, 330], [280, 420], [330, 520], [400, 600], [460, 700], [520, 780]];
      return rng.int(...r[i]!);
    }
    case 'LP': {
      const r: ReadonlyArray<readonly [number, number]> = [[380, 520], [480, 700], [600, 850], [720, 1000], [850, 1200], [950, 1400]];
      return rng.int(...r[i]!);
    }
    case 'RS':
    case 'RHVS':
      return rng.int(380, 520);
    case 'RE':
      return rng.int(250, 450);
    case 'HOT':
      return rng.int(450, 1200);
    case 'SLHT':
      return rng.int(200, 400);
    case 'FONC':
      return rng.int(0, 200);
    case 'CP':
      return rng.chance(0.5) ? rng.int(50, 300) : 0;
    case 'CAMCAR':
      return rng.chance(0.5) ? rng.int(100, 300) : undefined;
    case 'CPE':
    case 'LTG':
      return rng.chance(0.5) ? 0 : undefined;
    default:
      return undefined;
  }
}

function ownerFor(rng: Rng, model: string): string | undefined {
  if (model === 'HLM') return rng.pick(["Office public de l'habitat", "Société anonyme d'HLM", 'Coopérative HLM']);
  if (model === 'LP' && rng.chance(0.6)) return rng.pick(['Particulier', 'Agence immobilière', 'SCI familiale']);
  if (model === 'FONC') return 'Employeur';
  return undefined;
}

function wantedHousing(rng: Rng, h: Household, territory: TerritoryPreset, home: Home): Demande['logementRecherche'] {
  const size = sizeForRooms(h);
  let types = [...rng.weighted(WANTED_BY_SIZE[Math.min(size, 7) - 1]!)];
  // A room only for the young or people coming from a residence.
  if (types.includes('C') && h.applicant.age >= 30) types = ['T1'];
  types.sort((a, b) => ROOM_CODES.indexOf(a as (typeof ROOM_CODES)[number]) - ROOM_CODES.indexOf(b as (typeof ROOM_CODES)[number]));

  const [min, max] = rng.weighted(communeCounts);
  const n = Math.min(rng.int(min, max), territory.communes.length);
  const table = territory.communes.map((c) => [c.insee, c.weight] as const);
  let communes: string[];
  if (home.inTerritory && home.commune && rng.chance(0.6)) {
    const first = home.commune.insee;
    communes = [first, ...rng.sampleWeighted(table.filter(([c]) => c !== first), n - 1)];
  } else {
    communes = rng.sampleWeighted(table, n);
  }
  const categorie = rng.chance(0.9) ? rng.weighted([['A', 55], ['I', 35], ['M', 10]] as const) : undefined;
  return {
    demandeElargie: rng.chance(rates.demandeElargie),
    typesLogement: types,
    ...(categorie ? { categorie } : {}),
    communes,
  };
}

// ---- motives, disability ---------------------------------------------------------------------------

function chooseMotifs(
  rng: Rng,
  h: Household,
  current: NonNullable<Demande['logementActuel']>,
  disabled: boolean,
  contract: string,
): Demande['motifs'] {
  const model = current.modeles[0] ?? '';
  const rooms = current.typeLogement ? Math.max(1, ROOM_CODES.indexOf(current.typeLogement as (typeof ROOM_CODES)[number])) : 0;
  const need = idealRooms(sizeForRooms(h));
  const tooSmall = rooms > 0 && rooms < need;
  const tooLarge = rooms > 0 && rooms > need + 1;
  const w = new Map<string, number>([
    ['17', 2], ['19', 2], ['20', 1.5], ['21', 2], ['08', 1.5], ['18', 0.5], ['16', 0.2],
  ]);
  const add = (code: string, weight: number) => w.set(code, (w.get(code) ?? 0) + weight);
  if (precariousModels.has(model) || noDwellingModels.has(model)) add('01', 30);
  if (model === 'CPE') add('12', 30);
  if (model === 'RE') { add('12', 10); add('19', 5); }
  if (model === 'HLM') { add('09', 6); add('17', 6); add('08', 3); add('02', 1); }
  if (model === 'LP') { add('09', 20); add('03', 5); add('04', 4); add('05', 2); add('17', 3); }
  if (model === 'POCC') { add('22', 10); add('09', 5); }
  if (model === 'FONC') { add('04', 10); add('18', 3); }
  if (tooSmall) add('13', model === 'HLM' ? 25 : 15);
  if (tooLarge && !hostedModels.has(model)) add('10', 20);
  if (h.unborn) add('13', 10);
  const sf = h.applicant.situationFamiliale;
  if (!h.coHolder && (sf === 'D' || sf === 'S')) add('11', 15);
  if (h.kind === 'monoparental' && h.applicant.sexe === 'F') add('06', 3);
  if (h.kind === 'coupleSansEnfant' && h.applicant.age < 35) add('14', 2);
  if (h.applicant.nationalite === '3') add('15', 0.5);
  if (h.applicant.age >= 65) { add('08', 3); add('20', 4); }
  if (contract === 'CDI' || contract === 'CDD') { add('19', 3); add('18', 1); }

  const count = rng.weighted(motifCounts);
  const codes = rng.sampleWeighted([...w.entries()], count);
  if (disabled) {
    if (codes.length >= 3) codes.pop();
    codes.push('07');
  }
  const motifs: Demande['motifs'] = codes.map((code) => ({ code }));
  if (rng.chance(rates.motifAutre)) {
    // Motif 23 takes the place of the last motive other than 07 (disability stays stated).
    if (motifs.length >= 3) {
      let last = motifs.length - 1;
      while (last > 0 && motifs[last]!.code === '07') last--;
      motifs.splice(last, 1);
    }
    motifs.push({ code: '23', precision: rng.pick(precisionTexts) });
  }
  return motifs;
}

function handicapBlock(rng: Rng): NonNullable<Demande['handicap']> {
  const sorted = (xs: string[]) => xs.sort();
  const moteur = rng.weighted([[[] as string[], 35], [['MI'], 40], [['MS'], 10], [['MS', 'MI'], 15]] as const);
  return {
    etat: rng.chance(0.7) ? 'STA' : 'EVO',
    capaciteMarche: rng.weighted([['1', 30], ['2', 30], ['3', 25], ['4', 15]] as const),
    moteur: [...moteur],
    sensoriel: rng.chance(0.2) ? [rng.pick(['DA', 'DV'])] : [],
    aidesTechniques: sorted(rng.sample(codesOf('aideTechnique'), rng.int(0, 2))),
    equipementsNecessaires: sorted(rng.sample(codesOf('equipementNecessaire'), rng.int(0, 2))),
  };
}

// ---- priority: DALO, labels, collective agreements, contingents, radiation --------------------------

interface Priority {
  dalo?: NonNullable<Demande['dalo']>;
  accordCollectif?: string;
  labels: Demande['labels'];
}

function priorityBlocks(rng: Rng, s: Situation, filed: IsoDate, model: string, creation: boolean, territory: TerritoryPreset): Priority {
  const labels: Demande['labels'] = [];
  if (creation) return rng.chance(rates.daloNon) ? { dalo: { statut: 'NON' }, labels } : { labels };
  let dalo: Priority['dalo'];
  const precarious = precariousModels.has(model) || noDwellingModels.has(model);
  const decision = rng.chance(precarious ? rates.daloPrecarious : rates.dalo) ? dateBetween(rng, filed, s.ref, 60) : undefined;
  if (decision) {
    const rehoused = s.radiation?.motif === 'RADATT';
    const statut = rng.weighted(rehoused ? ([['ACTREL', 60], ['ACTIF', 30], ['CADUC', 10]] as const) : ([['ACTIF', 70], ['CADUC', 30]] as const));
    dalo = { statut, dateDecision: decision };
    labels.push({ source: 'DALO', date: decision, emetteur: `COMED-${territory.department}` });
  } else if (rng.chance(rates.daloNon)) {
    dalo = { statut: 'NON' };
  }
  const label = (source: string, rate: number, emetteur: string) => {
    if (!rng.chance(rate)) return false;
    const date = dateBetween(rng, filed, s.ref);
    if (date) labels.push({ source, date, emetteur });
    return date !== undefined;
  };
  label('PDALHPD', rates.labelPdalhpd, `PDALHPD-${territory.department}`);
  label('CIA', rates.labelCia, `CIA-${territory.shortCode}`);
  label('L441', rates.labelL441, `BAILLEUR-${territory.shortCode}`);
  label('PPGD', rates.labelPpgd, `PPGD-${territory.shortCode}`);
  let accordCollectif: string | undefined;
  if (label('ACD', rates.accordAcd, `ACD-${territory.department}`)) accordCollectif = 'ACD';
  else if (label('ACI', rates.accordAci, `ACI-${territory.shortCode}`)) accordCollectif = 'ACI';
  else accordCollectif = rng.weighted([['AUCUN', 55], ['NONDOC', 25], ['', 20]] as const) || undefined;
  labels.sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0));
  const out: Priority = { labels };
  if (dalo) out.dalo = dalo;
  if (accordCollectif) out.accordCollectif = accordCollectif;
  return out;
}

function contingentsOf(rng: Rng, money: readonly PersonMoney[], p: Priority): string[] {
  const set = new Set<string>();
  if (rng.chance(0.85)) set.add('COLTER');
  if (money.some((m) => m.work.privateEmployee) && rng.chance(0.85)) set.add('COLACT');
  if (money.some((m) => m.work.stateAgent)) set.add('PFONCT');
  const daloActive = p.dalo?.statut === 'ACTIF' || p.dalo?.statut === 'ACTREL';
  if (daloActive || p.labels.some((l) => l.source !== 'DALO' && l.source !== 'PPGD')) set.add('PPRIOR');
  if (rng.chance(0.03)) set.add('AUTRES');
  return codesOf('typeReservataire').filter((c) => set.has(c));
}

function radiationBlock(rng: Rng, r: NonNullable<Situation['radiation']>, applicant: Adult): NonNullable<Demande['radiation']> {
  if (r.motif !== 'RADIRR') return { motif: r.motif, date: r.date };
  // Irregular stay only concerns foreigners outside the EU; resources above the ceiling anyone.
  const sousMotif = applicant.nationalite === '3' && rng.chance(0.6) ? 'IRRSEJ' : 'IRRRES';
  return { motif: r.motif, sousMotif, date: r.date };
}

function dependantResources(rng: Rng, h: Household): Pick<Demande, 'ressourcesPersonnesACharge'> {
  const recues: Array<{ code: string; montant: number }> = [];
  for (const d of h.dependants) {
    if (d.lienParente === 'E' && d.age >= 16 && rng.chance(0.4)) {
      if (rng.chance(0.5)) addResource(recues, 'SAL', rng.int(450, 900));
      else addResource(recues, 'BE', rng.int(100, 500));
    } else if (d.lienParente === 'P') {
      if (rng.chance(0.7)) addResource(recues, 'RET', rng.int(600, 1200));
      else addResource(recues, 'AMV', rng.int(900, 1012));
    }
  }
  return recues.length ? { ressourcesPersonnesACharge: { recues, versees: [] } } : {};
}

