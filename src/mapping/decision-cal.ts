/**
 * CAL decisions (article R441-3, domain.md §6): the rules a decision obeys, its SNE code, and what it
 * leads to (a non-receivable demand is radiated `RADIRR` one month after the warning).
 *
 * The rules that need no table come from the domain (`decisionCalIssues`); the limitative list of
 * documents, the reasons and their flags, the sub-motifs and the delay come from the tables.
 */
import { addMonths, type IsoDate } from '../domain';
import { DecisionCalKind, decisionCalIssues, type DecisionCal, type DecisionCalPayload, type LogementRef } from '../domain/evenement';
import { own, TABLE_FILES, type MappingTables } from './tables';
import { mapped, under, violated, type MapResult, type Violation } from './types';

/** A radiation that becomes due because of a decision; the push pipeline schedules or flags it (config). */
export interface FollowUp {
  radiation: { motif: 'RADIRR'; sousMotif: string; dueDate: IsoDate };
}

export interface DecisionCalMapping {
  decision: DecisionCal;
  /** The SNE code of the kind of decision (mappings/sne/events.yaml, codes.decisionCal). */
  sneCode: string;
  followUp?: FollowUp;
}

type Tables = Pick<MappingTables, 'pieces' | 'motifsNonAttribution' | 'radiation' | 'sneEvents'>;

/**
 * Checks a CAL decision against R441-3 and the tables, and gives its SNE code and follow-up.
 * `at` prefixes the violation paths (the payload's place in the event).
 */
export function mapDecisionCal(payload: DecisionCalPayload, tables: Tables, at = 'payload'): MapResult<DecisionCalMapping> {
  const violations: Violation[] = under(at, decisionCalIssues(payload));
  const d = payload.decision;
  const p = (path: string) => `${at}.${path}`;
  let followUp: FollowUp | undefined;

  switch (d.kind) {
    case DecisionCalKind.attributionSousCondition:
      if (own(tables.pieces.pieces, d.pieceManquante) === undefined) {
        violations.push({
          path: p('decision.pieceManquante'),
          rule: 'limitative-list',
          message: `decision.pieceManquante must be a document of the limitative list (${TABLE_FILES.pieces}): a CAL may only wait for one of them (R441-3 c)`,
          table: TABLE_FILES.pieces,
          code: d.pieceManquante,
        });
      }
      break;
    case DecisionCalKind.nonAttribution: {
      let allNeverAlone = d.motifs.length > 0;
      d.motifs.forEach((m, i) => {
        const entry = own(tables.motifsNonAttribution.motifs, m.code);
        if (entry === undefined) {
          allNeverAlone = false;
          violations.push({
            path: p(`decision.motifs[${i}].code`),
            rule: 'unknown-reason',
            message: `decision.motifs[${i}].code is not a reason of ${TABLE_FILES.motifsNonAttribution}: use one of its codes or add it there`,
            table: TABLE_FILES.motifsNonAttribution,
            code: m.code,
          });
          return;
        }
        if (!entry.neverAlone) allNeverAlone = false;
        if (entry.precisionRequired && !m.precision?.trim()) {
          violations.push({
            path: p(`decision.motifs[${i}].precision`),
            rule: 'precision-required',
            message: `decision.motifs[${i}].precision is mandatory with this reason (${TABLE_FILES.motifsNonAttribution}: precisionRequired)`,
            table: TABLE_FILES.motifsNonAttribution,
          });
        }
      });
      if (allNeverAlone) {
        violations.push({
          path: p('decision.motifs'),
          rule: 'reason-never-alone',
          message: `decision.motifs cannot rest only on a reason that is never enough alone, such as no link with the commune (R441-3 d; ${TABLE_FILES.motifsNonAttribution}: neverAlone): give another written reason`,
          table: TABLE_FILES.motifsNonAttribution,
        });
      }
      break;
    }
    case DecisionCalKind.irrecevabilite: {
      const radirr = own(tables.radiation.motifs, 'RADIRR');
      if (!(radirr?.sousMotifs ?? []).includes(d.sousMotif)) {
        violations.push({
          path: p('decision.sousMotif'),
          rule: 'sub-motif',
          message: `decision.sousMotif must be a sub-motif of RADIRR in ${TABLE_FILES.radiation} (IRRSEJ irregular stay or IRRRES resources above ceiling): non-receivability rests only on legal access conditions (R441-3 e)`,
          table: TABLE_FILES.radiation,
          code: d.sousMotif,
        });
      } else {
        const from = d.dateNotification ?? payload.dateCommission;
        followUp = { radiation: { motif: 'RADIRR', sousMotif: d.sousMotif, dueDate: addMonths(from, radirr?.delayMonths ?? 1) } };
      }
      break;
    }
    case DecisionCalKind.attribution:
    case DecisionCalKind.attributionRang:
      break;
  }

  const sneCode = own(own(tables.sneEvents.codes, 'decisionCal'), d.kind);
  if (sneCode === undefined) {
    violations.push({
      path: p('decision.kind'),
      rule: 'sne-code',
      message: `decision.kind has no SNE code in ${TABLE_FILES.sneEvents} (codes.decisionCal)`,
      table: TABLE_FILES.sneEvents,
      code: d.kind,
    });
  }
  if (violations.length || sneCode === undefined) return violated(violations);
  return mapped(followUp ? { decision: d, sneCode, followUp } : { decision: d, sneCode });
}

/** Same dwelling: same bailleur and the same RPLS id or the same bailleur's own id. */
export function sameLogement(a: LogementRef, b: LogementRef): boolean {
  if (a.bailleurSiren !== b.bailleurSiren) return false;
  if (a.rpls !== undefined && a.rpls === b.rpls) return true;
  return a.bailleurLogementId !== undefined && a.bailleurLogementId === b.bailleurLogementId;
}

/**
 * The ranked candidates "attributed but not housed" once a candidate signed the lease (domain.md §6,
 * [likely]): those ranked below the housed one for the same dwelling and CAL session. The session is the
 * one given, or else the latest one that ranked the housed candidate on that dwelling. Returns their
 * numéros uniques by rank; empty when the housed candidate was not ranked. Local rules decide what
 * follows (their demands stay active).
 */
export function attributedButNotHoused(
  decisions: ReadonlyArray<{ numUnique: string; payload: DecisionCalPayload }>,
  housed: { numUnique: string; logement: LogementRef; dateCommission?: IsoDate },
): string[] {
  const ranked = decisions.filter(
    (x) => x.payload.decision.kind === DecisionCalKind.attributionRang && sameLogement(x.payload.logement, housed.logement),
  );
  const sessions = ranked
    .filter((x) => x.numUnique === housed.numUnique)
    .map((x) => x.payload.dateCommission)
    .filter((s) => housed.dateCommission === undefined || s === housed.dateCommission)
    .sort();
  const session = sessions[sessions.length - 1];
  if (session === undefined) return [];
  const rankOf = (x: { payload: DecisionCalPayload }) => (x.payload.decision.kind === DecisionCalKind.attributionRang ? x.payload.decision.rang : 0);
  const inSession = ranked.filter((x) => x.payload.dateCommission === session);
  const housedRank = Math.min(...inSession.filter((x) => x.numUnique === housed.numUnique).map(rankOf));
  return inSession
    .filter((x) => x.numUnique !== housed.numUnique && rankOf(x) > housedRank)
    .sort((a, b) => rankOf(a) - rankOf(b))
    .map((x) => x.numUnique);
}
