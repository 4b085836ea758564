/**
 * The canonical events of the local shared-management tool (domain.md §2, §6-§8): one zod schema per
 * event type, discriminated on `type`, types inferred from them.
 *
 * Two layers judge an event. This module checks its shape and the rules that need no table (a rank is
 * 1 or more, a deadline follows the CAL session, an attribution report carries every item of R441-2-9).
 * The mapping layer (src/mapping) checks what the versioned tables decide (limitative list of documents,
 * reasons, conventions, RPLS ids, radiation motifs) and translates local codes before this module runs,
 * so an unknown code is a mapping violation, never a crash of the parse: coded fields here only check
 * that a value looks like a code.
 *
 * The table-free rules are exported (`decisionCalIssues`, `attributionIssues`, `logementSansRplsIssues`)
 * so the mapping layer reports them with the same words. Messages name fields and rules, never values.
 */
import { z } from 'zod';
import type { Issue } from '../errors';
import { code, CodeInsee, Demande, IsoDate, IsoDateTime, Label, Montant, NumUnique } from './demande';
import { codeWarnings, issuesFromZod, type Warning } from './validate';

/** Event types of the local tool (domain.md §2), as stable lower-camel codes. */
export const EvenementType = {
  /** Rectification of the demand by an authorised person: the full updated record (SNE file `MOD`). */
  rectification: 'rectification',
  /** Renewal of the demand (SNE file `REN`). */
  renouvellement: 'renouvellement',
  /** Request for documents or information (pièces demandées). */
  demandePieces: 'demandePieces',
  /** Designation of the applicant on a dwelling, for presentation to the CAL. */
  designation: 'designation',
  /** Registration of the file in a CAL session. */
  inscriptionCal: 'inscriptionCal',
  /** Visit of the dwelling before the CAL: proposed or done. */
  visite: 'visite',
  /** Decision of the CAL (R441-3: five kinds). */
  decisionCal: 'decisionCal',
  /** Refusal of an offer by the applicant, with its reason. */
  refus: 'refus',
  /** Priority label with its source and date. */
  label: 'label',
  /** Contingents (types of réservataire) the household is eligible to. */
  contingent: 'contingent',
  /** Attribution followed by a signed lease: radiation `RADATT` with the data of R441-2-9. */
  attribution: 'attribution',
  /** Radiation for another motif (`RADABA`, `RADCON`, `RADIRR` + sub-motif, `RADREN`). */
  radiation: 'radiation',
  /** Reactivation (déradiation): an empty radiation motif. */
  reactivation: 'reactivation',
} as const;
export type EvenementType = (typeof EvenementType)[keyof typeof EvenementType];
export const evenementTypes: readonly EvenementType[] = Object.values(EvenementType);

export function isEvenementType(value: unknown): value is EvenementType {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(EvenementType, value);
}

/** The five kinds of CAL decision (domain.md §6, article R441-3 a to e). */
export const DecisionCalKind = {
  attribution: 'attribution',
  attributionRang: 'attributionRang',
  attributionSousCondition: 'attributionSousCondition',
  nonAttribution: 'nonAttribution',
  irrecevabilite: 'irrecevabilite',
} as const;
export type DecisionCalKind = (typeof DecisionCalKind)[keyof typeof DecisionCalKind];
export const decisionCalKinds: readonly DecisionCalKind[] = Object.values(DecisionCalKind);

export const StatutVisite = { proposee: 'proposee', effectuee: 'effectuee' } as const;
export type StatutVisite = (typeof StatutVisite)[keyof typeof StatutVisite];

/** How the attribution is charged: to a réservataire's flow, or to the bailleur's own stock. */
export const ImputationType = { reservataire: 'reservataire', bailleur: 'bailleur' } as const;
export type ImputationType = (typeof ImputationType)[keyof typeof ImputationType];

// ---- scalar shapes -------------------------------------------------------------------------------

/** Event id: chosen by the local tool (a UUID, usually); it is the idempotency key of every effect. */
export const EvenementId = z
  .string()
  .regex(/^[A-Za-z0-9._:-]{1,64}$/, 'must be 1 to 64 letters, digits, dots, colons, underscores or hyphens');

/** A code of a mapping table (documents, reasons, réservataires): shape here, membership in src/mapping. */
export const TableCode = z
  .string()
  .min(1, 'must not be empty')
  .max(64, 'is longer than any code (64 characters)')
  .regex(/^[A-Za-z0-9_-]+$/, 'must be a code (letters, digits, _ or -)');

export const SIREN_PATTERN = /^\d{9}$/;
export const Siren = z.string().regex(SIREN_PATTERN, 'must be a SIREN (9 digits)');

/** RPLS dwelling identifier (domain.md §8): 10 alphanumeric characters, written upper case. */
export const RPLS_PATTERN = /^[A-Z0-9]{10}$/;
export const RPLS_FORMAT_MESSAGE = 'must be an RPLS id: 10 upper-case letters or digits';
export const RplsId = z.string().regex(RPLS_PATTERN, RPLS_FORMAT_MESSAGE);

/** The bailleur's own identifier of a dwelling (its information system's key). */
export const BailleurLogementId = z
  .string()
  .min(1, 'must not be empty')
  .max(64, 'must be at most 64 characters')
  .regex(/^[A-Za-z0-9._:/-]+$/, 'must be letters, digits, dots, colons, slashes, underscores or hyphens');

const Text = (max: number) => z.string().max(max, `must be at most ${max} characters`);

// ---- dwellings -------------------------------------------------------------------------------------

/** A dwelling as events name it: its bailleur, and its RPLS id or the bailleur's own id. */
export const LogementRef = z.object({
  bailleurSiren: Siren,
  rpls: RplsId.optional(),
  bailleurLogementId: BailleurLogementId.optional(),
});
export type LogementRef = z.infer<typeof LogementRef>;

export const AdresseLogement = z.object({
  numero: Text(10).optional(),
  voie: Text(120).optional(),
  codePostal: z.string().regex(/^\d{5}$/, 'must be a postal code (5 digits)').optional(),
  commune: CodeInsee.optional(),
});
export type AdresseLogement = z.infer<typeof AdresseLogement>;

/**
 * The dwelling of an attribution: without an RPLS id (a new dwelling), its address, rooms, surface, QPV
 * flag and rent are mandatory (R441-2-9); the mapping layer decides it after looking the id up.
 */
export const LogementAttribue = LogementRef.extend({
  adresse: AdresseLogement.optional(),
  /** Rooms, RPLS list `T1`..`T8`, `T9P`. */
  typeLogement: code('typeLogementRpls').optional(),
  /** Living area in m² (may have decimals). */
  surface: z.number().positive('must be more than 0').max(2000, 'must be at most 2000 m²').optional(),
  /** `ZUSOUI`, `ZUSNON`, `ZUSNSP`. */
  qpv: code('qpv').optional(),
  /** Monthly rent, whole euros. */
  loyer: Montant.optional(),
});
export type LogementAttribue = z.infer<typeof LogementAttribue>;

// ---- payloads --------------------------------------------------------------------------------------

const DatePayload = z.object({ date: IsoDate });

export const RectificationPayload = z.object({ demande: Demande });
export const RenouvellementPayload = DatePayload;
export const ReactivationPayload = DatePayload;

export const DemandePiecesPayload = z.object({
  date: IsoDate,
  /** Codes of the limitative list of documents (mappings/cal/pieces.yaml). */
  pieces: z.array(TableCode).min(1, 'needs at least one requested document').max(30, 'at most 30 documents'),
  dateLimite: IsoDate.optional(),
});

export const DesignationPayload = z.object({ date: IsoDate, logement: LogementRef });

export const InscriptionCalPayload = z.object({
  /** Date of the CAL session. The CAL is the bailleur's: `logement.bailleurSiren`. */
  dateCommission: IsoDate,
  logement: LogementRef,
});

export const VisitePayload = z.object({
  statut: z.enum(StatutVisite, { error: 'must be proposee or effectuee' }),
  date: IsoDate,
  logement: LogementRef.optional(),
});

/** A written reason of a non-attribution: a code of the reasons table, and optional free text. */
export const MotifEcrit = z.object({
  code: TableCode,
  /** Free text given to the applicant: personal, never logged. */
  precision: Text(1000).optional(),
});

const DecisionAttribution = z.object({ kind: z.literal(DecisionCalKind.attribution) });
const DecisionAttributionRang = z.object({
  kind: z.literal(DecisionCalKind.attributionRang),
  /** Rank of this candidate: candidate n is housed only if every one ranked before refuses. */
  rang: z.number().int('must be a whole number'),
  /** Number of ranked candidates of the dwelling, to find later who was attributed but not housed. */
  nombreClasses: z.number().int('must be a whole number').min(1, 'must be 1 or more').max(50).optional(),
});
const DecisionSousCondition = z.object({
  kind: z.literal(DecisionCalKind.attributionSousCondition),
  /** The missing document, from the limitative list (mappings/cal/pieces.yaml). */
  pieceManquante: TableCode,
  /** Deadline to provide it. */
  dateLimite: IsoDate,
});
const DecisionNonAttribution = z.object({
  kind: z.literal(DecisionCalKind.nonAttribution),
  motifs: z.array(MotifEcrit).max(20, 'at most 20 reasons'),
});
const DecisionIrrecevabilite = z.object({
  kind: z.literal(DecisionCalKind.irrecevabilite),
  /** `IRRSEJ` irregular stay or `IRRRES` resources above ceiling. */
  sousMotif: code('sousMotifRadiation'),
  /** When the applicant was warned; the radiation is due one month later (default: the session date). */
  dateNotification: IsoDate.optional(),
});

export const DecisionCal = z.discriminatedUnion(
  'kind',
  [DecisionAttribution, DecisionAttributionRang, DecisionSousCondition, DecisionNonAttribution, DecisionIrrecevabilite],
  { error: `kind must be one of ${decisionCalKinds.join(', ')}` },
);
export type DecisionCal = z.infer<typeof DecisionCal>;

const DecisionCalPayloadShape = z.object({
  dateCommission: IsoDate,
  /** The dwelling; its bailleur is the one whose CAL decides. */
  logement: LogementRef,
  decision: DecisionCal,
});
export type DecisionCalPayload = z.infer<typeof DecisionCalPayloadShape>;
export const DecisionCalPayload = DecisionCalPayloadShape.superRefine((p, ctx) => addAll(ctx, decisionCalIssues(p)));

export const RefusPayload = z.object({
  date: IsoDate,
  /** Reason code (mappings/cal/motifs-refus.yaml). */
  motif: TableCode,
  /** Free text: personal, never logged. */
  precision: Text(1000).optional(),
  logement: LogementRef.optional(),
});

export const LabelPayload = Label;

export const ContingentPayload = z.object({
  /** The réservataire types the household is eligible to (replaces the previous list). */
  types: z.array(code('typeReservataire')).max(6, 'at most 6 types'),
});

export const Imputation = z.discriminatedUnion(
  'type',
  [
    z.object({ type: z.literal(ImputationType.reservataire), reservataireId: TableCode }),
    z.object({ type: z.literal(ImputationType.bailleur) }),
  ],
  { error: 'type must be reservataire or bailleur' },
);
export type Imputation = z.infer<typeof Imputation>;

/**
 * The attribution report (R441-2-9). The mandatory items are optional in shape so that each missing one
 * is reported with the rule that makes it mandatory (`attributionIssues`).
 */
const AttributionPayloadShape = z.object({
  logement: LogementAttribue,
  imputation: Imputation.optional(),
  /** The household holds a favourable DALO decision. */
  dalo: z.boolean().optional(),
  /** The household belongs to a public of the CIA (convention intercommunale d'attribution). */
  cia: z.boolean().optional(),
  /** Public of a collective agreement: `ACD`, `ACI`, `AUCUN`, `NONDOC`. */
  accordCollectif: code('accordCollectif').optional(),
  /** Priority under article L441-1. */
  prioritaireL441: z.boolean().optional(),
  /** Which items of L441-1 (mappings/priorites.yaml), when priority. */
  criteresL441: z.array(TableCode).max(13, 'at most 13 criteria').optional(),
  dateSignatureBail: IsoDate.optional(),
  /** The household already rents from this bailleur (internal transfer). */
  mutationInterne: z.boolean().optional(),
  /** The CAL session that attributed, to find the ranked candidates attributed but not housed. */
  dateCommission: IsoDate.optional(),
});
export type AttributionPayload = z.infer<typeof AttributionPayloadShape>;
export const AttributionPayload = AttributionPayloadShape.superRefine((p, ctx) => addAll(ctx, attributionIssues(p)));

export const RadiationPayload = z.object({
  motif: code('motifRadiation'),
  sousMotif: code('sousMotifRadiation').optional(),
  date: IsoDate,
});
export type RadiationPayload = z.infer<typeof RadiationPayload>;

// ---- events ----------------------------------------------------------------------------------------

function variant<T extends EvenementType, P extends z.ZodType>(type: T, payload: P) {
  return z.object({
    id: EvenementId,
    /** Position in the local tool's feed. */
    seq: z.number().int('must be a whole number').min(0, 'must not be negative').optional(),
    numUnique: NumUnique,
    type: z.literal(type),
    occurredAt: IsoDateTime,
    payload,
  });
}

const RectificationEvenement = variant(EvenementType.rectification, RectificationPayload).superRefine((e, ctx) => {
  const inner = e.payload.demande.numUnique;
  if (inner !== undefined && inner !== e.numUnique) {
    ctx.addIssue({
      code: 'custom',
      path: ['payload', 'demande', 'numUnique'],
      params: { rule: 'same-numunique' },
      message: "payload.demande.numUnique must equal the event's numUnique (a rectification changes its own demand)",
    });
  }
});

export const Evenement = z.discriminatedUnion(
  'type',
  [
    RectificationEvenement,
    variant(EvenementType.renouvellement, RenouvellementPayload),
    variant(EvenementType.demandePieces, DemandePiecesPayload),
    variant(EvenementType.designation, DesignationPayload.superRefine(refRules('logement'))),
    variant(EvenementType.inscriptionCal, InscriptionCalPayload.superRefine(refRules('logement'))),
    variant(EvenementType.visite, VisitePayload.superRefine(refRules('logement'))),
    variant(EvenementType.decisionCal, DecisionCalPayload),
    variant(EvenementType.refus, RefusPayload.superRefine(refRules('logement'))),
    variant(EvenementType.label, LabelPayload),
    variant(EvenementType.contingent, ContingentPayload),
    variant(EvenementType.attribution, AttributionPayload),
    variant(EvenementType.radiation, RadiationPayload),
    variant(EvenementType.reactivation, ReactivationPayload),
  ],
  { error: `type must be one of ${evenementTypes.join(', ')}` },
);
/** A canonical event, as produced by `validateEvenement`. */
export type Evenement = z.infer<typeof Evenement>;
/** An event as written by hand or by a mapper before parsing. */
export type EvenementInput = z.input<typeof Evenement>;
/** The event of one type. */
export type EvenementOf<T extends EvenementType> = Extract<Evenement, { type: T }>;

// ---- table-free rules ------------------------------------------------------------------------------

function addAll(ctx: z.RefinementCtx, issues: Issue[]): void {
  for (const i of issues) {
    ctx.addIssue({ code: 'custom', path: i.path.split('.'), message: i.message, params: { rule: i.rule } });
  }
}

function refRules(key: 'logement') {
  return (p: { logement?: LogementRef }, ctx: z.RefinementCtx) => {
    if (p.logement) addAll(ctx, logementRefIssues(p.logement, key));
  };
}

/** A dwelling named by an event needs its RPLS id or the bailleur's own id. */
export function logementRefIssues(logement: LogementRef, at = 'logement'): Issue[] {
  if (logement.rpls !== undefined || logement.bailleurLogementId !== undefined) return [];
  return [
    {
      path: at,
      rule: 'logement-identified',
      message: `${at} needs rpls or bailleurLogementId to name the dwelling`,
    },
  ];
}

/** Rules of R441-3 that need no table. Paths are relative to the payload (`decision.rang`). */
export function decisionCalIssues(p: DecisionCalPayload): Issue[] {
  const out: Issue[] = [...logementRefIssues(p.logement)];
  const d = p.decision;
  switch (d.kind) {
    case DecisionCalKind.attributionRang:
      if (!Number.isInteger(d.rang) || d.rang < 1) {
        out.push({
          path: 'decision.rang',
          rule: 'rank-min',
          message: 'decision.rang must be 1 or more for an attribution by rank (R441-3 b)',
        });
      } else if (d.nombreClasses !== undefined && d.rang > d.nombreClasses) {
        out.push({
          path: 'decision.rang',
          rule: 'rank-within-ranked',
          message: 'decision.rang must not exceed decision.nombreClasses (the number of ranked candidates)',
        });
      }
      break;
    case DecisionCalKind.attributionSousCondition:
      if (!(d.dateLimite > p.dateCommission)) {
        out.push({
          path: 'decision.dateLimite',
          rule: 'deadline-after-session',
          message: 'decision.dateLimite must be after dateCommission: the deadline to provide the missing document (R441-3 c)',
        });
      }
      break;
    case DecisionCalKind.nonAttribution:
      if (d.motifs.length === 0) {
        out.push({
          path: 'decision.motifs',
          rule: 'reasons-required',
          message: 'decision.motifs needs at least one written reason for a non-attribution (R441-3 d)',
        });
      }
      break;
    case DecisionCalKind.irrecevabilite:
      if (d.dateNotification !== undefined && d.dateNotification < p.dateCommission) {
        out.push({
          path: 'decision.dateNotification',
          rule: 'notification-after-session',
          message: 'decision.dateNotification must not be before dateCommission (the applicant is warned after the decision)',
        });
      }
      break;
    case DecisionCalKind.attribution:
      break;
  }
  return out;
}

/** The items every attribution report carries (R441-2-9), with the words of their rule. */
const MANDATORY_ATTRIBUTION_ITEMS: ReadonlyArray<{ key: keyof AttributionPayload; what: string }> = [
  { key: 'imputation', what: "a réservataire or the bailleur's own stock" },
  { key: 'dalo', what: 'true or false: the household holds a favourable DALO decision' },
  { key: 'cia', what: 'true or false: the household belongs to a public of the CIA' },
  { key: 'accordCollectif', what: 'ACD, ACI, AUCUN or NONDOC' },
  { key: 'prioritaireL441', what: 'true or false: the household is priority under L441-1' },
  { key: 'dateSignatureBail', what: 'the lease signature date' },
  { key: 'mutationInterne', what: 'true or false: the household already rents from this bailleur' },
];

/**
 * Rules of R441-2-9 that need no table: each missing mandatory item, criteria without priority, and the
 * dwelling description when the event names no dwelling id at all (with an id, the RPLS resolution of
 * the mapping layer decides). Paths are relative to the payload.
 */
export function attributionIssues(p: AttributionPayload): Issue[] {
  const out: Issue[] = [];
  for (const { key, what } of MANDATORY_ATTRIBUTION_ITEMS) {
    if (p[key] === undefined) {
      out.push({ path: key, rule: 'attribution-item-required', message: `${key} is mandatory in an attribution report (R441-2-9): ${what}` });
    }
  }
  if (p.criteresL441 !== undefined && p.criteresL441.length > 0 && p.prioritaireL441 !== true) {
    out.push({
      path: 'criteresL441',
      rule: 'criteria-need-priority',
      message: 'criteresL441 may only be given when prioritaireL441 is true',
    });
  }
  if (p.logement.rpls === undefined && p.logement.bailleurLogementId === undefined) {
    out.push(...logementSansRplsIssues(p.logement));
  }
  return out;
}

/** Without an RPLS id, the items that describe the dwelling (R441-2-9). Paths relative to the payload. */
export function logementSansRplsIssues(l: LogementAttribue, at = 'logement'): Issue[] {
  const out: Issue[] = [];
  const need = (path: string, what: string) =>
    out.push({ path: `${at}.${path}`, rule: 'required-without-rpls', message: `${at}.${path} is mandatory without an RPLS id (R441-2-9): ${what}` });
  if (l.adresse === undefined) need('adresse', 'the address of the dwelling');
  else {
    if (l.adresse.voie === undefined) need('adresse.voie', 'the street of the dwelling');
    if (l.adresse.codePostal === undefined) need('adresse.codePostal', 'the postal code of the dwelling');
    if (l.adresse.commune === undefined) need('adresse.commune', 'the INSEE code of the commune of the dwelling');
  }
  if (l.typeLogement === undefined) need('typeLogement', 'the rooms, T1 to T8 or T9P');
  if (l.surface === undefined) need('surface', 'the living area in m²');
  if (l.qpv === undefined) need('qpv', 'ZUSOUI, ZUSNON or ZUSNSP');
  if (l.loyer === undefined) need('loyer', 'the monthly rent in whole euros');
  return out;
}

// ---- validation ------------------------------------------------------------------------------------

export type EvenementValidation =
  | { ok: true; evenement: Evenement; warnings: Warning[] }
  | { ok: false; issues: Issue[]; warnings: Warning[] };

const Envelope = z.object({
  id: EvenementId,
  seq: z.number().int('must be a whole number').min(0, 'must not be negative').optional(),
  numUnique: NumUnique,
  occurredAt: IsoDateTime,
});

/**
 * Validates one event of the local tool (after its local codes were translated, see
 * `src/mapping/local-codes`). Returns every field error with its path (`payload.decision.rang`), the
 * rule, and a message that never quotes the value; the HTTP event endpoint answers 422 with them. The
 * demand of a rectification brings its code warnings (unknown codes are kept and reported).
 */
export function validateEvenement(input: unknown): EvenementValidation {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return { ok: false, issues: [{ path: '', rule: 'object', message: 'an event must be a JSON object' }], warnings: [] };
  }
  const type = (input as { type?: unknown }).type;
  if (!isEvenementType(type)) {
    // The payload cannot be judged without its type; the envelope still can.
    const env = Envelope.safeParse(input);
    const issues: Issue[] = [
      {
        path: 'type',
        rule: 'unknown-type',
        message: `type must be one of ${evenementTypes.join(', ')} (a local type needs a line in mappings/local/codes.yaml)`,
      },
    ];
    if (!env.success) issues.push(...issuesWithRules(env.error));
    return { ok: false, issues, warnings: [] };
  }
  const parsed = Evenement.safeParse(input);
  if (!parsed.success) return { ok: false, issues: issuesWithRules(parsed.error), warnings: [] };
  const evenement = parsed.data;
  const warnings: Warning[] =
    evenement.type === EvenementType.rectification
      ? codeWarnings(evenement.payload.demande).map((w) => ({ ...w, path: `payload.demande.${w.path}` }))
      : [];
  return { ok: true, evenement, warnings };
}

/** zod issues as ours, keeping the rule name our refinements set. */
function issuesWithRules(error: z.ZodError): Issue[] {
  const ours = issuesFromZod(error);
  return ours.map((issue, n) => {
    const raw = error.issues[n] as { code: string; params?: { rule?: unknown } } | undefined;
    const rule = raw?.code === 'custom' && typeof raw.params?.rule === 'string' ? raw.params.rule : issue.rule;
    return { ...issue, rule };
  });
}
