/**
 * What an event changes in the canonical demand, as data: the push pipeline applies the changes to the
 * demand it holds and the codec writes the result with the event's file type. Applying is pure and
 * idempotent (a replayed event has no second effect on the record).
 */
import { Demande, type IsoDate } from '../domain';

export type DemandeChange =
  /** A rectification: the whole updated record. */
  | { op: 'replace'; demande: Demande }
  | { op: 'set'; field: 'dateDernierRenouvellement'; value: IsoDate }
  | { op: 'set'; field: 'radiation'; value: NonNullable<Demande['radiation']> }
  | { op: 'set'; field: 'contingents'; value: string[] }
  | { op: 'unset'; field: 'radiation' | 'dateExpiration' }
  /** Adds a label unless the same one (source, date, emetteur) is already there. */
  | { op: 'addLabel'; value: Demande['labels'][number] };

/**
 * Applies changes in order to a copy of the demand. Keys keep the schema's order, so the result hashes
 * like a parsed record.
 */
export function applyDemandeChanges(demande: Demande, changes: readonly DemandeChange[]): Demande {
  let out: Demande = { ...demande };
  for (const c of changes) {
    switch (c.op) {
      case 'replace':
        out = { ...c.demande };
        break;
      case 'set':
        out = { ...out, [c.field]: c.value };
        break;
      case 'unset': {
        const copy: Partial<Demande> = { ...out };
        delete copy[c.field];
        out = copy as Demande;
        break;
      }
      case 'addLabel': {
        const same = out.labels.some((l) => l.source === c.value.source && l.date === c.value.date && l.emetteur === c.value.emetteur);
        if (!same) out = { ...out, labels: [...out.labels, c.value] };
        break;
      }
    }
  }
  return inSchemaOrder(out);
}

function inSchemaOrder(d: Demande): Demande {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(Demande.shape)) {
    const value = (d as Record<string, unknown>)[key];
    if (value !== undefined) out[key] = value;
  }
  return out as Demande;
}
