/**
 * One entry point for the push pipeline: a canonical event -> what to send to the SNE. For every event
 * type it checks the table-driven rules, gives the SNE file type, the changes to apply to the demand, and
 * a small element tree (the event's own block) for the codec to write. Element names and SNE code values
 * come from `mappings/sne/events.yaml` ([open] in domain.md: to align with the official specification).
 */
import { isKnownCode } from '../domain';
import { EvenementType, type Evenement, type EvenementOf, type LogementRef } from '../domain/evenement';
import type { TypeFichier } from '../codec/types';
import type { DemandeChange } from './changes';
import { mapDecisionCal, type FollowUp } from './decision-cal';
import { mapAttribution, mapRadiation, mapReactivation, type AttributionMapping } from './radiation';
import { resolveRpls, type RplsLookup } from './rpls';
import { own, TABLE_FILES, type MappingTables } from './tables';
import type { BlockNode, Violation } from './types';

export interface SneTranslateOptions {
  /** Asks the local tool for an RPLS id the event and the table lack. */
  rplsLookup?: RplsLookup;
}

export type SneTranslation =
  | {
      ok: true;
      transmit: true;
      typeFichier: TypeFichier;
      /** Changes to the canonical demand, in order (see `applyDemandeChanges`). */
      changes: DemandeChange[];
      /** The event's own block, when it has one. */
      block?: BlockNode;
      /** A radiation due later (non-receivability): the pipeline schedules or flags it, per config. */
      followUp?: FollowUp;
      /** What decided each mapped item (`imputation`, `rpls`, `decision`), for an operator. */
      decidedBy: Record<string, string>;
    }
  /** The table says this event type is not sent to the SNE (`transmit: false`); it was still checked. */
  | { ok: true; transmit: false; reason: string }
  | { ok: false; violations: Violation[] };

/** Translates one canonical event for the SNE (async: the RPLS lookup may ask the local tool). */
export async function translateEvenementForSne(
  evenement: Evenement,
  tables: MappingTables,
  options: SneTranslateOptions = {},
): Promise<SneTranslation> {
  const b = new Blocks(tables);
  const decidedBy: Record<string, string> = {};
  const violations: Violation[] = [];
  let changes: DemandeChange[] = [];
  let block: BlockNode | undefined;
  let followUp: FollowUp | undefined;
  let typeFichier: TypeFichier = tables.sneEvents.evenements[evenement.type].typeFichier;

  /** A dwelling reference with the RPLS id resolved when the table or the local tool knows it. */
  const reference = async (logement: LogementRef): Promise<BlockNode | undefined> => {
    const r = await resolveRpls(logement, tables, { lookup: options.rplsLookup, purpose: 'reference' });
    if (!r.ok) {
      violations.push(...r.violations);
      return undefined;
    }
    if (r.value.kind === 'rpls') {
      decidedBy.rpls = r.value.rule;
      return b.logement({ ...logement, rpls: r.value.rpls });
    }
    return b.logement(logement);
  };

  switch (evenement.type) {
    case EvenementType.rectification:
      changes = [{ op: 'replace', demande: { ...evenement.payload.demande, numUnique: evenement.numUnique } }];
      break;

    case EvenementType.renouvellement:
      changes = [
        { op: 'set', field: 'dateDernierRenouvellement', value: evenement.payload.date },
        { op: 'unset', field: 'dateExpiration' },
      ];
      break;

    case EvenementType.demandePieces: {
      const p = evenement.payload;
      const names = tables.sneEvents.evenements.demandePieces;
      p.pieces.forEach((code, i) => {
        if (own(tables.pieces.pieces, code) === undefined) {
          violations.push({
            path: `payload.pieces[${i}]`,
            rule: 'limitative-list',
            message: `pieces[${i}] must be a document of the limitative list (${TABLE_FILES.pieces}): no other document may be asked for`,
            table: TABLE_FILES.pieces,
            code,
          });
        }
      });
      block = b.el(names.element, [
        b.text(names.date, p.date),
        b.el(names.pieces.list, p.pieces.map((c) => b.coded(names.pieces.item, 'piece', c))),
        p.dateLimite === undefined ? undefined : b.text(names.dateLimite, p.dateLimite),
      ]);
      break;
    }

    case EvenementType.designation: {
      const names = tables.sneEvents.evenements.designation;
      block = b.el(names.element, [b.text(names.date, evenement.payload.date), await reference(evenement.payload.logement)]);
      break;
    }

    case EvenementType.inscriptionCal: {
      const names = tables.sneEvents.evenements.inscriptionCal;
      block = b.el(names.element, [
        b.text(names.dateCommission, evenement.payload.dateCommission),
        await reference(evenement.payload.logement),
      ]);
      break;
    }

    case EvenementType.visite: {
      const p = evenement.payload;
      const names = tables.sneEvents.evenements.visite;
      block = b.el(names.element, [
        b.coded(names.statut, 'statutVisite', p.statut),
        b.text(names.date, p.date),
        p.logement === undefined ? undefined : await reference(p.logement),
      ]);
      break;
    }

    case EvenementType.decisionCal: {
      const p = evenement.payload;
      const m = mapDecisionCal(p, tables);
      if (!m.ok) {
        violations.push(...m.violations);
        break;
      }
      decidedBy.decision = `${TABLE_FILES.sneEvents}#codes.decisionCal.${p.decision.kind}`;
      followUp = m.value.followUp;
      block = b.decisionCal(evenement, m.value.sneCode, await reference(p.logement));
      break;
    }

    case EvenementType.refus: {
      const p = evenement.payload;
      const names = tables.sneEvents.evenements.refus;
      const entry = own(tables.motifsRefus.motifs, p.motif);
      if (entry === undefined) {
        violations.push({
          path: 'payload.motif',
          rule: 'unknown-reason',
          message: `motif is not a reason of ${TABLE_FILES.motifsRefus}: use one of its codes or add it there`,
          table: TABLE_FILES.motifsRefus,
          code: p.motif,
        });
      } else if (entry.precisionRequired && !p.precision?.trim()) {
        violations.push({
          path: 'payload.precision',
          rule: 'precision-required',
          message: `precision is mandatory with this reason (${TABLE_FILES.motifsRefus}: precisionRequired)`,
          table: TABLE_FILES.motifsRefus,
        });
      }
      block = b.el(names.element, [
        b.text(names.date, p.date),
        b.coded(names.motif, 'motifRefus', p.motif),
        p.precision === undefined ? undefined : b.text(names.precision, p.precision),
        p.logement === undefined ? undefined : await reference(p.logement),
      ]);
      break;
    }

    case EvenementType.label: {
      const p = evenement.payload;
      if (!isKnownCode('sourceLabel', p.source)) {
        violations.push({
          path: 'payload.source',
          rule: 'unknown-code',
          message: 'source must be a label source: DALO, PDALHPD, PPGD, CIA, ACD, ACI or L441',
          code: p.source,
        });
      }
      changes = [{ op: 'addLabel', value: p }];
      break;
    }

    case EvenementType.contingent: {
      const types = evenement.payload.types;
      types.forEach((t, i) => {
        if (!isKnownCode('typeReservataire', t)) {
          violations.push({
            path: `payload.types[${i}]`,
            rule: 'unknown-code',
            message: `types[${i}] must be a réservataire type: COLTER, COLACT, PPRIOR, PFONCT, AUTRES or AUCUN`,
            code: t,
          });
        }
      });
      changes = [{ op: 'set', field: 'contingents', value: [...new Set(types)] }];
      break;
    }

    case EvenementType.attribution: {
      const m = await mapAttribution(evenement.payload, tables, {
        rplsLookup: options.rplsLookup,
        fallbackDate: evenement.occurredAt.slice(0, 10),
      });
      if (!m.ok) {
        violations.push(...m.violations);
        break;
      }
      typeFichier = m.value.typeFichier;
      decidedBy.imputation = m.value.imputation.rule;
      if (m.value.logement.kind === 'rpls') decidedBy.rpls = m.value.logement.rule;
      changes = [{ op: 'set', field: 'radiation', value: m.value.radiation }];
      block = b.attribution(m.value);
      break;
    }

    case EvenementType.radiation: {
      const m = mapRadiation(evenement.payload, tables);
      if (!m.ok) {
        violations.push(...m.violations);
        break;
      }
      typeFichier = m.value.typeFichier;
      changes = [{ op: 'set', field: 'radiation', value: m.value.radiation }];
      break;
    }

    case EvenementType.reactivation: {
      const m = mapReactivation(evenement.payload, tables);
      const names = tables.sneEvents.evenements.reactivation;
      typeFichier = m.typeFichier;
      changes = [{ op: 'unset', field: 'radiation' }];
      block = b.el(names.element, [b.coded(names.motif, 'motifRadiation', m.motif), b.text(names.date, m.date)]);
      break;
    }
  }

  if (violations.length) return { ok: false, violations };
  if (!tables.sneEvents.evenements[evenement.type].transmit) {
    return { ok: true, transmit: false, reason: `${TABLE_FILES.sneEvents}: evenements.${evenement.type}.transmit is false` };
  }
  return {
    ok: true,
    transmit: true,
    typeFichier,
    changes,
    ...(block === undefined ? {} : { block }),
    ...(followUp === undefined ? {} : { followUp }),
    decidedBy,
  };
}

/** Builds the element trees with the names and codes of the table. */
class Blocks {
  constructor(private readonly tables: MappingTables) {}

  el(name: string, children: ReadonlyArray<BlockNode | undefined>): BlockNode {
    return { name, children: children.filter((c): c is BlockNode => c !== undefined) };
  }

  text(name: string, value: string | number): BlockNode {
    return { name, text: String(value) };
  }

  /** A coded value: the SNE code of the canonical one (unchanged when the list has no translation). */
  coded(name: string, list: string, canonical: string, children?: BlockNode[]): BlockNode {
    const code = own(own(this.tables.sneEvents.codes, list), canonical) ?? canonical;
    return children?.length ? { name, attributes: { code }, list, children } : { name, attributes: { code }, list };
  }

  bool(name: string, value: boolean): BlockNode {
    const { vrai, faux } = this.tables.sneEvents.booleens;
    return { name, attributes: { code: value ? vrai : faux }, list: 'ouiNon' };
  }

  logement(l: LogementRef): BlockNode {
    const n = this.tables.sneEvents.logement;
    return this.el(n.element, [
      l.rpls === undefined ? undefined : this.text(n.rpls, l.rpls),
      l.bailleurLogementId === undefined ? undefined : this.text(n.bailleurLogementId, l.bailleurLogementId),
      this.text(n.bailleurSiren, l.bailleurSiren),
    ]);
  }

  decisionCal(e: EvenementOf<'decisionCal'>, sneCode: string, logement: BlockNode | undefined): BlockNode {
    const n = this.tables.sneEvents.evenements.decisionCal;
    const d = e.payload.decision;
    const kindChildren: Array<BlockNode | undefined> = [];
    switch (d.kind) {
      case 'attributionRang':
        kindChildren.push(this.text(n.rang, d.rang), d.nombreClasses === undefined ? undefined : this.text(n.nombreClasses, d.nombreClasses));
        break;
      case 'attributionSousCondition':
        kindChildren.push(this.coded(n.pieceManquante, 'piece', d.pieceManquante), this.text(n.dateLimite, d.dateLimite));
        break;
      case 'nonAttribution':
        kindChildren.push(
          this.el(
            n.motifs.list,
            d.motifs.map((m) =>
              this.coded(n.motifs.item, 'motifNonAttribution', m.code, m.precision === undefined ? undefined : [this.text(n.motifs.precision, m.precision)]),
            ),
          ),
        );
        break;
      case 'irrecevabilite':
        kindChildren.push(
          this.coded(n.sousMotif, 'sousMotifRadiation', d.sousMotif),
          d.dateNotification === undefined ? undefined : this.text(n.dateNotification, d.dateNotification),
        );
        break;
      case 'attribution':
        break;
    }
    return this.el(n.element, [
      this.text(n.dateCommission, e.payload.dateCommission),
      logement,
      { name: n.type, attributes: { code: sneCode }, list: 'decisionCal' },
      ...kindChildren,
    ]);
  }

  attribution(m: AttributionMapping): BlockNode {
    const n = this.tables.sneEvents.evenements.attribution;
    let dwelling: BlockNode;
    if (m.logement.kind === 'rpls') {
      dwelling = this.text(n.rpls, m.logement.rpls);
    } else {
      const s = n.logementSansRpls;
      const l = m.logement.logement;
      dwelling = this.el(s.element, [
        this.el(s.adresse.element, [
          l.adresse.numero === undefined ? undefined : this.text(s.adresse.numero, l.adresse.numero),
          this.text(s.adresse.voie, l.adresse.voie),
          this.text(s.adresse.codePostal, l.adresse.codePostal),
          { name: s.adresse.commune, attributes: { code: l.adresse.commune } },
        ]),
        this.coded(s.typeLogement, 'typeLogementRpls', l.typeLogement),
        this.text(s.surface, l.surface),
        this.coded(s.qpv, 'qpv', l.qpv),
        this.text(s.loyer, l.loyer),
      ]);
    }
    return this.el(n.element, [
      dwelling,
      this.text(n.bailleurSiren, m.bailleurSiren),
      this.text(n.dateSignatureBail, m.dateSignatureBail),
      this.coded(n.typeReservataire, 'typeReservataire', m.imputation.typeReservataire),
      m.imputation.reservataireId === undefined ? undefined : this.text(n.reservataire, m.imputation.reservataireId),
      this.bool(n.dalo, m.dalo),
      this.bool(n.cia, m.cia),
      this.coded(n.accordCollectif, 'accordCollectif', m.accordCollectif),
      this.bool(n.prioritaire, m.prioritaireL441),
      m.criteresL441.length === 0 ? undefined : this.el(n.criteres.list, m.criteresL441.map((c) => this.coded(n.criteres.item, 'critereL441', c))),
      this.bool(n.mutationInterne, m.mutationInterne),
      m.dateCommission === undefined ? undefined : this.text(n.dateCommission, m.dateCommission),
    ]);
  }
}
