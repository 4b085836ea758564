/**
 * The distributions of the synthetic generator, as data, with their rationale.
 *
 * They are approximate orders of magnitude of the published yearly figures on social-housing demand in
 * France (SNE statistics, USH and DREAL notes): about 40 % of pending demands come from people alone,
 * about a quarter from single-parent families, most applicants are 25 to 54, about one demand in three
 * comes from a household already in social housing ("mutation"), a few percent are DALO. They are not
 * calibrated on any real file: they only need to exercise every branch of the gateway with plausible
 * proportions. Weights need not sum to 100.
 */

/** Household kinds. `avecAscendantOuAutre`: a person (alone) housing a parent or another relative. */
export const HouseholdKind = {
  seul: 'seul',
  monoparental: 'monoparental',
  coupleAvecEnfants: 'coupleAvecEnfants',
  coupleSansEnfant: 'coupleSansEnfant',
  colocation: 'colocation',
  avecAscendantOuAutre: 'avecAscendantOuAutre',
} as const;
export type HouseholdKind = (typeof HouseholdKind)[keyof typeof HouseholdKind];

/** ~40 % alone, ~23 % single parents, ~29 % couples, a few flat-sharers and multi-generation homes. */
export const householdKinds: ReadonlyArray<readonly [HouseholdKind, number]> = [
  ['seul', 40],
  ['monoparental', 23],
  ['coupleAvecEnfants', 18],
  ['coupleSansEnfant', 11],
  ['colocation', 2],
  ['avecAscendantOuAutre', 6],
];

/** Age brackets `[min, max]` of the applicant per household kind (older people mostly live alone or as couples). */
export const applicantAges: Record<HouseholdKind, ReadonlyArray<readonly [readonly [number, number], number]>> = {
  seul: [[[19, 24], 16], [[25, 34], 22], [[35, 44], 15], [[45, 54], 16], [[55, 64], 15], [[65, 79], 12], [[80, 90], 4]],
  monoparental: [[[19, 24], 8], [[25, 34], 32], [[35, 44], 35], [[45, 54], 20], [[55, 60], 5]],
  coupleAvecEnfants: [[[20, 24], 5], [[25, 34], 35], [[35, 44], 38], [[45, 54], 18], [[55, 62], 4]],
  coupleSansEnfant: [[[19, 24], 15], [[25, 34], 30], [[35, 44], 10], [[45, 54], 12], [[55, 64], 15], [[65, 79], 14], [[80, 90], 4]],
  colocation: [[[19, 24], 50], [[25, 34], 40], [[35, 60], 10]],
  avecAscendantOuAutre: [[[25, 34], 25], [[35, 44], 30], [[45, 54], 30], [[55, 64], 15]],
};

/** Share of women among applicants: single parents are mostly mothers. */
export const femaleApplicantShare: Record<HouseholdKind, number> = {
  seul: 0.5,
  monoparental: 0.85,
  coupleAvecEnfants: 0.55,
  coupleSansEnfant: 0.5,
  colocation: 0.5,
  avecAscendantOuAutre: 0.6,
};

/** Number of dependent children. */
export const childrenCount: Partial<Record<HouseholdKind, ReadonlyArray<readonly [number, number]>>> = {
  monoparental: [[1, 45], [2, 33], [3, 15], [4, 5], [5, 2]],
  coupleAvecEnfants: [[1, 30], [2, 35], [3, 20], [4, 10], [5, 3], [6, 2]],
};

/** Co-holder link of couples: married, PACS partners, cohabiting. */
export const coupleLinks: ReadonlyArray<readonly ['M' | 'P' | 'C', number]> = [
  ['M', 40],
  ['P', 20],
  ['C', 40],
];

/** Situation familiale implied by a couple's link (the same for both). */
export const situationOfLink = { M: 'M', P: 'P', C: 'U' } as const;

/** Situation familiale of a person without a partner, by age. */
export function singleSituations(age: number): ReadonlyArray<readonly [string, number]> {
  if (age < 30) return [['C', 90], ['S', 5], ['D', 5]];
  if (age < 60) return [['C', 45], ['D', 25], ['S', 25], ['V', 5]];
  return [['C', 20], ['D', 30], ['S', 10], ['V', 40]];
}

/** Professional situation (typeContratTravail) by age. `AUT` covers inactivity, RSA, disability. */
export function contractsFor(age: number): ReadonlyArray<readonly [string, number]> {
  if (age >= 65) return [['RET', 92], ['AUT', 6], ['CDI', 2]];
  if (age >= 60) return [['RET', 45], ['CDI', 18], ['CHO', 15], ['AUT', 17], ['CDD', 5]];
  if (age < 26) return [['ETU', 15], ['APP', 7], ['CDD', 30], ['CDI', 18], ['CHO', 20], ['AUT', 10]];
  return [['CDI', 38], ['CDD', 20], ['CHO', 17], ['ART', 4], ['AUT', 21]];
}

/**
 * Current housing (modèle). Base weights: about a third already in social housing, a third renting
 * privately, the rest living with family, hosted, in a residence or shelter, a few homeless.
 */
export const housingModels: ReadonlyArray<readonly [string, number]> = [
  ['HLM', 28],
  ['LP', 28],
  ['CPE', 12],
  ['CP', 5],
  ['LTG', 3],
  ['RS', 4],
  ['SH', 3],
  ['SLHT', 2],
  ['HOT', 1.5],
  ['SD', 1.5],
  ['RE', 1],
  ['POCC', 2],
  ['FONC', 1],
  ['CAMCAR', 0.5],
  ['SQUAT', 0.5],
  ['RHVS', 0.5],
  ['CDEFCM', 0.5],
];

/** Models that are not an ordinary dwelling: no rooms, a fee rather than a rent, or nothing. */
export const collectiveModels: ReadonlySet<string> = new Set(['RS', 'RHVS', 'RE', 'SH', 'HOT', 'SLHT', 'CDEFCM']);
export const noDwellingModels: ReadonlySet<string> = new Set(['SD', 'SQUAT', 'CAMCAR']);
/** Housed by someone else, paying no rent. */
export const hostedModels: ReadonlySet<string> = new Set(['CPE', 'LTG', 'CP']);
/** Situations that make motif 01 ("sans logement ou hébergé temporairement") the main reason. */
export const precariousModels: ReadonlySet<string> = new Set(['SD', 'SQUAT', 'CAMCAR', 'HOT', 'SH', 'RS', 'RHVS', 'SLHT', 'CDEFCM', 'CP', 'LTG']);

/** Number of motives: one, two or three. */
export const motifCounts: ReadonlyArray<readonly [number, number]> = [
  [1, 45],
  [2, 35],
  [3, 20],
];

/** Number of wanted communes: most applicants name a few, some name the maximum of 10. */
export const communeCounts: ReadonlyArray<readonly [readonly [number, number], number]> = [
  [[1, 1], 30],
  [[2, 3], 35],
  [[4, 6], 20],
  [[7, 10], 15],
];

/**
 * Life cycle of a demand in a data set seen on a given day: active ones (renewed yearly), a few expired
 * and not yet radiated, and those radiated in the last twelve months (data are erased one year after
 * radiation, §7).
 */
export const Status = { active: 'active', expired: 'expired', radiated: 'radiated' } as const;
export type Status = (typeof Status)[keyof typeof Status];
export const statuses: ReadonlyArray<readonly [Status, number]> = [
  ['active', 77],
  ['expired', 3],
  ['radiated', 20],
];

/** Radiation motives: attributions and non-renewals dominate; RADIRR is rare but must appear. */
export const radiationMotifs: ReadonlyArray<readonly [string, number]> = [
  ['RADATT', 40],
  ['RADREN', 35],
  ['RADABA', 13],
  ['RADCON', 7],
  ['RADIRR', 5],
];

/**
 * Renewals already made (whole years of seniority). Pending demands are mostly recent, a tail waits
 * for years (up to ~8 years in tight markets).
 */
export const renewalCounts: ReadonlyArray<readonly [number, number]> = [
  [0, 38],
  [1, 22],
  [2, 14],
  [3, 10],
  [4, 7],
  [5, 4],
  [6, 3],
  [7, 2],
];

/** Shares of rarer blocks. */
export const rates = {
  /** An unborn child among households with a woman aged 19-42. */
  unborn: 0.05,
  /** Twins among unborn children. */
  twins: 0.03,
  /** Children in custody (alternating or visiting rights) for a single applicant aged 25-55. */
  custodySingle: 0.12,
  custodyCouple: 0.04,
  /** Same-sex couples. */
  sameSexCouple: 0.04,
  /** A disability block (with motif 07). */
  handicap: 0.06,
  /** A DALO decision (ACTIF, CADUC or ACTREL); more often for the homeless and hosted. */
  dalo: 0.03,
  daloPrecarious: 0.12,
  /** An explicit `dalo.statut = NON` on the others (some sources send it, some omit it). */
  daloNon: 0.25,
  /** Motif 23 with a free-text precision. */
  motifAutre: 0.06,
  /** Applicants currently living outside the territory (elsewhere in the department or France). */
  livesElsewhere: 0.1,
  /** Applicants with a foreign address. */
  livesAbroad: 0.005,
  /** A mobile phone; an email. */
  phone: 0.92,
  email: 0.75,
  /** Labels other than DALO. */
  labelPdalhpd: 0.02,
  labelCia: 0.02,
  labelL441: 0.03,
  labelPpgd: 0.01,
  accordAcd: 0.03,
  accordAci: 0.02,
  /** demandeElargie: the applicant accepts communes near the wanted ones. */
  demandeElargie: 0.35,
} as const;
