/**
 * The local tool's event feed, read once from the start for the regulatory checks that need the
 * procedure's history: CAL decisions and attributions (domain.md §6, §8). Only those two types are kept
 * (and only what the checks use): the feed of a territory holds millions of events.
 */
import type { DecisionCalPayload, Evenement } from '../domain/evenement';
import { DecisionCalKind, EvenementType } from '../domain/evenement';
import { own, prepareEvenement, type MappingTables, type Violation } from '../mapping';
import type { Evenement as FeedEvenement, LocalClient } from '../systems/local';

export interface AttributionSeen {
  eventId: string;
  seq: number;
  numUnique: string;
  /** The event as canonical, or the violations that keep it from being one. */
  prepared: { ok: true; evenement: Extract<Evenement, { type: 'attribution' }> } | { ok: false; violations: Violation[] };
  occurredAt: string;
}

export interface EventsScan {
  evenements: number;
  /** The latest attribution event of each demand (a later one corrects an earlier one). */
  attributions: Map<string, AttributionSeen>;
  /** CAL decisions by rank, for "attributed but not housed". */
  rankDecisions: Array<{ numUnique: string; payload: DecisionCalPayload }>;
  /** Demands with a CAL decision that attributes (any of the three attributing kinds). */
  calAttributed: Set<string>;
  /** CAL decisions that are not valid events (their push is dead-lettered; counted here only). */
  invalidDecisions: number;
}

const ATTRIBUTING: ReadonlySet<string> = new Set([
  DecisionCalKind.attribution,
  DecisionCalKind.attributionRang,
  DecisionCalKind.attributionSousCondition,
]);

/** Reads the whole feed, page by page. */
export async function scanEvents(
  local: Pick<LocalClient, 'listEvenements'>,
  tables: MappingTables,
  options: { pageSize?: number; onPage?: (events: number) => void } = {},
): Promise<EventsScan> {
  const scan: EventsScan = { evenements: 0, attributions: new Map(), rankDecisions: [], calAttributed: new Set(), invalidDecisions: 0 };
  const types = tables.localCodes.lists.typeEvenement;
  const typeOf = (raw: FeedEvenement): string => own(types, raw.type) ?? raw.type;
  let after = 0;
  for (;;) {
    const page = await local.listEvenements({ after, limit: options.pageSize ?? 1000 });
    if (page.items.length === 0) break;
    for (const raw of page.items) {
      scan.evenements++;
      const type = typeOf(raw);
      if (type === EvenementType.decisionCal) {
        const p = prepareEvenement(raw, tables);
        if (!p.ok || p.evenement.type !== EvenementType.decisionCal) {
          scan.invalidDecisions++;
          continue;
        }
        const payload = p.evenement.payload;
        if (ATTRIBUTING.has(payload.decision.kind)) scan.calAttributed.add(raw.numUnique);
        if (payload.decision.kind === DecisionCalKind.attributionRang) scan.rankDecisions.push({ numUnique: raw.numUnique, payload });
      } else if (type === EvenementType.attribution) {
        const p = prepareEvenement(raw, tables);
        const prepared: AttributionSeen['prepared'] =
          p.ok && p.evenement.type === EvenementType.attribution ? { ok: true, evenement: p.evenement } : { ok: false, violations: p.ok ? [] : p.violations };
        const previous = scan.attributions.get(raw.numUnique);
        if (!previous || previous.seq < raw.seq) {
          scan.attributions.set(raw.numUnique, { eventId: raw.id, seq: raw.seq, numUnique: raw.numUnique, prepared, occurredAt: raw.occurredAt });
        }
      }
    }
    options.onPage?.(scan.evenements);
    if (page.nextAfter <= after) break;
    after = page.nextAfter;
  }
  return scan;
}
