/**
 * Synthetic events of the local tool: deterministic, valid through the whole mapping, covering every
 * event type, decision kind and radiation motif, and telling each demand's story in a coherent order.
 */
import { codesOf, EvenementType, evenementTypes, type Demande, type Evenement, type EvenementOf } from '../../src/domain';
import { ValidationError } from '../../src/errors';
import { attributedButNotHoused, loadMappings, prepareEvenement, translateEvenementForSne, type MappingTables } from '../../src/mapping';
import {
  generateDemandes,
  generateEvenements,
  IrrecevabiliteFollowUp,
  iterateEvenements,
  type SyntheticEvenement,
} from '../../src/synthetic';

const mappings: MappingTables = loadMappings();
const START = new Date('2025-03-14T08:00:00Z');
const SEED = 'events-test';
const demandes: Demande[] = generateDemandes({ seed: SEED, count: 2000 });
const filing = new Map(demandes.map((d) => [d.numUnique!, d.dateCreationDemande]));

const N = 5000;
const stream: SyntheticEvenement[] = generateEvenements({ seed: SEED, demandes, count: N, start: START, mappings });

/** Each event prepared (local codes translated, validated); the canonical form the checks read. */
function canonical(events: readonly SyntheticEvenement[]): Evenement[] {
  return events.map((e, i) => {
    const p = prepareEvenement(e, mappings);
    if (!p.ok) throw new Error(`event ${i} (${e.type}) rejected: ${p.violations.map((v) => `${v.path} ${v.rule}`).join('; ')}`);
    return p.evenement;
  });
}
const events: Evenement[] = canonical(stream);
const ofType = <T extends Evenement['type']>(t: T, set: readonly Evenement[] = events) => set.filter((e): e is EvenementOf<T> => e.type === t);

/** The last item that matches (Array.prototype.findLast is ES2023). */
function lastOf<T>(list: readonly T[], match: (x: T) => boolean): T | undefined {
  for (let i = list.length - 1; i >= 0; i--) if (match(list[i]!)) return list[i];
  return undefined;
}

const dwellingKey = (l: { bailleurSiren: string; rpls?: string; bailleurLogementId?: string }) =>
  `${l.bailleurSiren}/${l.rpls ?? ''}/${l.bailleurLogementId ?? ''}`;

describe('generateEvenements', () => {
  describe('determinism', () => {
    it('gives the same events for the same seed, demands, start and tables', () => {
      const again = generateEvenements({ seed: SEED, demandes, count: N, start: START, mappings });
      expect(again).toEqual(stream);
    });

    it('gives other events for another seed', () => {
      const other = generateEvenements({ seed: 'another-seed', demandes, count: 200, start: START, mappings });
      expect(other.map((e) => e.payload)).not.toEqual(stream.slice(0, 200).map((e) => e.payload));
    });

    it('yields from iterateEvenements the same events, one at a time', () => {
      const it = iterateEvenements({ seed: SEED, demandes, start: START, mappings });
      const first: SyntheticEvenement[] = [];
      for (const e of it) {
        first.push(e);
        if (first.length === 300) break;
      }
      expect(first).toEqual(stream.slice(0, 300));
    });

    it('numbers the events evt-<seed>-<n> from 0, a seed reduced to the characters an event id allows', () => {
      expect(stream.map((e) => e.id)).toEqual(stream.map((_, n) => `evt-${SEED}-${n}`));
      const odd = generateEvenements({ seed: 'démo 2025/03', demandes, count: 3, start: START, mappings });
      expect(odd.map((e) => e.id)).toEqual(['evt-d_mo_2025_03-0', 'evt-d_mo_2025_03-1', 'evt-d_mo_2025_03-2']);
    });

    it('gives perDemande events per playable demand', () => {
      const few = demandes.filter((d) => d.radiation === undefined).slice(0, 40);
      expect(generateEvenements({ seed: SEED, demandes: few, perDemande: 3, start: START, mappings })).toHaveLength(120);
    });
  });

  describe('validity', () => {
    it('passes prepareEvenement without warnings and translateEvenementForSne for 5,000 events', async () => {
      const failures: string[] = [];
      for (const [i, e] of stream.entries()) {
        const p = prepareEvenement(e, mappings);
        if (!p.ok) {
          failures.push(`${i} ${e.type} prepare: ${p.violations.map((v) => `${v.path} ${v.rule}`).join(', ')}`);
          continue;
        }
        if (p.warnings.length) failures.push(`${i} ${e.type} warnings: ${p.warnings.map((w) => w.path).join(', ')}`);
        const t = await translateEvenementForSne(p.evenement, mappings);
        if (!t.ok) failures.push(`${i} ${e.type} translate: ${t.violations.map((v) => `${v.path} ${v.rule}`).join(', ')}`);
      }
      expect(failures.slice(0, 10)).toEqual([]);
    });

    it('dates every event in UTC from the start on, in chronological order', () => {
      const times = stream.map((e) => Date.parse(e.occurredAt));
      expect(stream.every((e) => /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/.test(e.occurredAt))).toBe(true);
      expect(times[0]!).toBeGreaterThanOrEqual(START.getTime());
      expect(times.every((t, i) => i === 0 || t >= times[i - 1]!)).toBe(true);
    });

    it('writes some codes in the local spelling of mappings/local/codes.yaml, and the others canonically', () => {
      const kinds = new Set(stream.filter((e) => e.type === 'decisionCal').map((e) => (e.payload as { decision: { kind: string } }).decision.kind));
      const local = Object.keys(mappings.localCodes.lists.decisionCal ?? {});
      expect([...kinds].some((k) => local.includes(k))).toBe(true);
      expect([...kinds].some((k) => !local.includes(k))).toBe(true);
    });
  });

  describe('coverage', () => {
    it.each(['demo', '1', '2', '3', '42'])('shows every event type within its first 500 events (seed %s)', (seed) => {
      const own = generateDemandes({ seed, count: 2000 });
      const first = generateEvenements({ seed, demandes: own, count: 500, start: START, mappings });
      expect(new Set(first.map((e) => e.type))).toEqual(new Set(evenementTypes));
    });

    const wide = canonical(generateEvenements({ seed: SEED, demandes, count: 12_000, start: START, mappings }));

    it('takes every kind of CAL decision (R441-3 a to e)', () => {
      expect(new Set(ofType('decisionCal', wide).map((e) => e.payload.decision.kind))).toEqual(
        new Set(['attribution', 'attributionRang', 'attributionSousCondition', 'nonAttribution', 'irrecevabilite']),
      );
    });

    it('radiates for every motif, RADIRR always with IRRSEJ or IRRRES, and RADATT only by an attribution', () => {
      const radiations = ofType('radiation', wide).map((e) => e.payload);
      expect(new Set(radiations.map((r) => r.motif))).toEqual(new Set(['RADABA', 'RADCON', 'RADIRR', 'RADREN']));
      const radirr = radiations.filter((r) => r.motif === 'RADIRR');
      expect(new Set(radirr.map((r) => r.sousMotif))).toEqual(new Set(['IRRSEJ', 'IRRRES']));
      expect(radiations.filter((r) => r.motif !== 'RADIRR').every((r) => r.sousMotif === undefined)).toBe(true);
      expect(ofType('attribution', wide).length).toBeGreaterThan(50);
    });

    it('reports attributions with an RPLS id (in the event or the RPLS table) and without one (described)', async () => {
      const attributions = ofType('attribution', wide);
      const withRpls = attributions.filter((a) => a.payload.logement.rpls !== undefined);
      const byTable = attributions.filter(
        (a) => a.payload.logement.rpls === undefined && mappings.rpls[a.payload.logement.bailleurSiren]?.logements[a.payload.logement.bailleurLogementId ?? ''],
      );
      const described = attributions.filter((a) => a.payload.logement.adresse !== undefined);
      expect(withRpls.length).toBeGreaterThan(10);
      expect(byTable.length).toBeGreaterThan(0);
      expect(described.length).toBeGreaterThan(10);
      const rooms = new Set(codesOf('typeLogementRpls'));
      for (const a of described) {
        const l = a.payload.logement;
        expect(l.rpls).toBeUndefined();
        expect(l.adresse).toEqual({ numero: expect.any(String), voie: expect.any(String), codePostal: expect.stringMatching(/^\d{5}$/), commune: expect.any(String) });
        expect(rooms.has(l.typeLogement!)).toBe(true);
        expect(l.surface).toBeGreaterThan(0);
        expect(['ZUSOUI', 'ZUSNON', 'ZUSNSP']).toContain(l.qpv);
        expect(l.loyer).toBeGreaterThan(0);
      }
      // The mapping reads them as such.
      const kinds = new Set<string>();
      for (const a of [...withRpls.slice(0, 5), ...byTable.slice(0, 5), ...described.slice(0, 5)]) {
        const t = await translateEvenementForSne(a, mappings);
        if (t.ok && t.transmit) kinds.add(t.decidedBy.rpls ?? 'sansRpls');
      }
      expect([...kinds].some((k) => k === 'event')).toBe(true);
      expect([...kinds].some((k) => k === 'sansRpls')).toBe(true);
      expect([...kinds].some((k) => k.startsWith('rpls/'))).toBe(true);
    });

    it('charges attributions to réservataires of the conventions and to the bailleur', () => {
      const imputations = ofType('attribution', wide).map((a) => a.payload.imputation!);
      expect(imputations.some((i) => i.type === 'bailleur')).toBe(true);
      const ids = new Set(mappings.conventions.bailleurs.flatMap((b) => b.reservataires.map((r) => r.id)));
      const charged = imputations.filter((i) => i.type === 'reservataire');
      expect(charged.length).toBeGreaterThan(10);
      expect(charged.every((i) => i.type === 'reservataire' && ids.has(i.reservataireId))).toBe(true);
    });

    it('gives labels of every source with their date, refusals with reasons of the table, visits proposed and done', () => {
      expect(new Set(ofType('label', wide).map((e) => e.payload.source))).toEqual(new Set(codesOf('sourceLabel')));
      const refusals = ofType('refus', wide);
      expect(refusals.every((r) => Object.prototype.hasOwnProperty.call(mappings.motifsRefus.motifs, r.payload.motif))).toBe(true);
      expect(new Set(refusals.map((r) => r.payload.motif)).size).toBeGreaterThan(4);
      expect(new Set(ofType('visite', wide).map((e) => e.payload.statut))).toEqual(new Set(['proposee', 'effectuee']));
    });

    it('asks only for documents of the limitative list', () => {
      const pieces = ofType('demandePieces', wide).flatMap((e) => e.payload.pieces);
      expect(pieces.every((p) => Object.prototype.hasOwnProperty.call(mappings.pieces.pieces, p))).toBe(true);
    });
  });

  describe('per-demand order', () => {
    const byDemand = new Map<string, Evenement[]>();
    for (const e of events) byDemand.set(e.numUnique, [...(byDemand.get(e.numUnique) ?? []), e]);

    it('has occurredAt strictly increasing for each demand', () => {
      const bad = [...byDemand.entries()].filter(([, list]) => list.some((e, i) => i > 0 && e.occurredAt <= list[i - 1]!.occurredAt));
      expect(bad.map(([nu]) => nu)).toEqual([]);
    });

    it('only changes an active demand, reactivates only a radiated one, and says nothing after the lease', () => {
      const problems: string[] = [];
      for (const [nu, list] of byDemand) {
        let state: 'active' | 'radiated' | 'housed' = 'active';
        for (const e of list) {
          if (state === 'housed') problems.push(`${nu}: ${e.type} after the attribution`);
          else if (e.type === EvenementType.reactivation) {
            if (state !== 'radiated') problems.push(`${nu}: reactivation of an active demand`);
            state = 'active';
          } else if (state === 'radiated') problems.push(`${nu}: ${e.type} on a radiated demand`);
          else if (e.type === EvenementType.radiation) state = 'radiated';
          else if (e.type === EvenementType.attribution) state = 'housed';
        }
      }
      expect(problems.slice(0, 10)).toEqual([]);
    });

    it('renews and radiates after the filing, and renews about yearly', () => {
      for (const e of [...ofType('renouvellement'), ...ofType('radiation'), ...ofType('reactivation')]) {
        expect(e.payload.date > filing.get(e.numUnique)!).toBe(true);
      }
      for (const list of byDemand.values()) {
        const renewals = list.filter((e) => e.type === EvenementType.renouvellement).map((e) => Date.parse(e.occurredAt));
        for (let i = 1; i < renewals.length; i++) expect(renewals[i]! - renewals[i - 1]!).toBeGreaterThan(300 * 86_400_000);
      }
    });

    it('designates, registers in the session, visits before it, then decides, for each candidate of a dwelling', () => {
      const problems: string[] = [];
      for (const [nu, list] of byDemand) {
        for (const [i, d] of list.entries()) {
          if (d.type !== EvenementType.decisionCal) continue;
          const key = dwellingKey(d.payload.logement);
          const earlier = list.slice(0, i);
          const designation = lastOf(earlier, (e) => e.type === EvenementType.designation && dwellingKey(e.payload.logement) === key);
          const inscription = lastOf(earlier, (e) => e.type === EvenementType.inscriptionCal && dwellingKey(e.payload.logement) === key);
          if (!designation || !inscription || designation.occurredAt > inscription.occurredAt) problems.push(`${nu}: decision without designation then registration`);
          else if (inscription.type === EvenementType.inscriptionCal && inscription.payload.dateCommission !== d.payload.dateCommission) problems.push(`${nu}: decision of another session`);
          for (const v of earlier.filter((e): e is EvenementOf<'visite'> => e.type === EvenementType.visite && e.occurredAt > (designation?.occurredAt ?? ''))) {
            if (!(v.payload.date < d.payload.dateCommission)) problems.push(`${nu}: visit not before the session`);
          }
        }
      }
      expect(problems.slice(0, 10)).toEqual([]);
    });

    it('ranks several candidates of a session 1..n, and leaves some "attributed but not housed"', () => {
      const decisions = ofType('decisionCal').map((e) => ({ numUnique: e.numUnique, payload: e.payload }));
      const sessions = new Map<string, number[]>();
      for (const d of decisions) {
        if (d.payload.decision.kind !== 'attributionRang') continue;
        const k = `${dwellingKey(d.payload.logement)}@${d.payload.dateCommission}`;
        sessions.set(k, [...(sessions.get(k) ?? []), d.payload.decision.rang]);
      }
      expect(sessions.size).toBeGreaterThan(20);
      for (const ranks of sessions.values()) expect([...ranks].sort((a, b) => a - b)).toEqual(ranks.map((_, i) => i + 1));
      expect([...sessions.values()].some((r) => r.length >= 3)).toBe(true);

      const notHoused = ofType('attribution').flatMap((a) =>
        attributedButNotHoused(decisions, { numUnique: a.numUnique, logement: a.payload.logement, dateCommission: a.payload.dateCommission }),
      );
      expect(notHoused.length).toBeGreaterThan(0);
      // Their demands stay active: some have events after the session.
      const after = notHoused.filter((nu) => (byDemand.get(nu) ?? []).some((e) => e.type === EvenementType.rectification || e.type === EvenementType.designation));
      expect(after.length).toBeGreaterThan(0);
    });

    it('radiates a non-receivable demand RADIRR with the sub-motif of the decision, one month after the warning', () => {
      let checked = 0;
      for (const list of byDemand.values()) {
        for (const [i, d] of list.entries()) {
          if (d.type !== EvenementType.decisionCal || d.payload.decision.kind !== 'irrecevabilite') continue;
          const next = list[i + 1];
          expect(next?.type).toBe(EvenementType.radiation);
          if (next?.type !== EvenementType.radiation) continue;
          expect(next.payload).toMatchObject({ motif: 'RADIRR', sousMotif: d.payload.decision.sousMotif });
          const warned = d.payload.decision.dateNotification ?? d.payload.dateCommission;
          expect(next.payload.date.slice(0, 7) > warned.slice(0, 7)).toBe(true);
          checked++;
        }
      }
      expect(checked).toBeGreaterThan(0);
    });

    it('leaves the RADIRR radiation to the gateway when asked, with no later event for that demand', () => {
      const gw = canonical(
        generateEvenements({ seed: SEED, demandes, count: 3000, start: START, mappings, irrecevabiliteFollowUp: IrrecevabiliteFollowUp.gateway }),
      );
      expect(ofType('radiation', gw).some((r) => r.payload.motif === 'RADIRR')).toBe(false);
      const irr = ofType('decisionCal', gw).filter((d) => d.payload.decision.kind === 'irrecevabilite');
      expect(irr.length).toBeGreaterThan(0);
      for (const d of irr) expect(gw.filter((e) => e.numUnique === d.numUnique && e.occurredAt > d.occurredAt)).toEqual([]);
    });
  });

  describe('invalid share', () => {
    const share = 0.05;
    const mixed = generateEvenements({ seed: SEED, demandes, count: 2000, start: START, mappings, invalidShare: share });

    async function rejected(e: SyntheticEvenement): Promise<string[] | undefined> {
      const p = prepareEvenement(e, mappings);
      if (!p.ok) return p.violations.map((v) => v.rule);
      const t = await translateEvenementForSne(p.evenement, mappings);
      return t.ok ? undefined : t.violations.map((v) => v.rule);
    }

    it('makes about that share of events rejected by the mapping, each its demand last event', async () => {
      const bad: Array<{ i: number; rules: string[] }> = [];
      for (const [i, e] of mixed.entries()) {
        const rules = await rejected(e);
        if (rules) bad.push({ i, rules });
      }
      expect(bad.length / mixed.length).toBeGreaterThan(share * 0.8);
      expect(bad.length / mixed.length).toBeLessThan(share * 1.2);
      for (const { i } of bad) expect(mixed.slice(i + 1).some((e) => e.numUnique === mixed[i]!.numUnique)).toBe(false);
      const rules = new Set(bad.flatMap((b) => b.rules));
      expect(rules.has('unknown-local-code')).toBe(true);
      expect(rules.size).toBeGreaterThan(3);
    });

    it('makes none by default', () => {
      expect(mixed.length).toBe(2000);
      expect(stream.length).toBe(N);
    });
  });

  describe('options', () => {
    it('refuses demands none of which may play, and other impossible options, with a ValidationError', () => {
      const radiated = demandes.filter((d) => d.radiation !== undefined).slice(0, 5);
      expect(() => generateEvenements({ seed: 1, demandes: radiated, count: 1, start: START, mappings })).toThrow(ValidationError);
      expect(() => generateEvenements({ seed: 1, demandes, count: 1, perDemande: 1, start: START, mappings })).toThrow(ValidationError);
      expect(() => generateEvenements({ seed: 1, demandes, count: 1, start: START, mappings, invalidShare: 0.9 })).toThrow(ValidationError);
      expect(() => generateEvenements({ seed: 1, demandes, count: 1, start: new Date('nope'), mappings })).toThrow(ValidationError);
    });

    it('ends when every demand has left the play', () => {
      const few = demandes.filter((d) => d.radiation === undefined).slice(0, 5);
      const all = [...iterateEvenements({ seed: SEED, demandes: few, start: START, mappings })];
      expect(all.length).toBeGreaterThan(5);
      expect(new Set(all.map((e) => e.numUnique)).size).toBeLessThanOrEqual(5);
    });
  });
});
