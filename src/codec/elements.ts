/**
 * The versioned table of element names of the [open] blocks (motifs, disability, DALO, labels,
 * contingents, collective agreement, radiation, renewal and expiry dates, wanted category): data, not
 * code, so that aligning with the official XSD touches `mappings/sne/elements.yaml` only.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import { z } from 'zod';
import { ValidationError, type Issue } from '../errors';
import { issuesFromZod } from '../domain';

/** An XML element name without prefix (NCName, ASCII subset). */
const ElementName = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_.-]*$/, 'must be an XML element name without prefix (letters, digits, _ . -)');

const ListNames = z.strictObject({ list: ElementName, item: ElementName });

/** Schema of `mappings/sne/elements.yaml`. */
export const ElementTableSchema = z.strictObject({
  version: z.number().int().min(1),
  status: z.enum(['provisional', 'official']),
  elements: z.strictObject({
    dateDernierRenouvellement: ElementName,
    dateExpiration: ElementName,
    categorieRecherchee: ElementName,
    motifs: z.strictObject({ list: ElementName, item: ElementName, precision: ElementName }),
    handicap: z.strictObject({
      element: ElementName,
      etat: ElementName,
      capaciteMarche: ElementName,
      moteur: ListNames,
      sensoriel: ListNames,
      aidesTechniques: ListNames,
      equipementsNecessaires: ListNames,
    }),
    dalo: z.strictObject({ element: ElementName, statut: ElementName, dateDecision: ElementName }),
    accordCollectif: ElementName,
    labels: z.strictObject({
      list: ElementName,
      item: ElementName,
      source: ElementName,
      date: ElementName,
      emetteur: ElementName,
    }),
    contingents: ListNames,
    radiation: z.strictObject({
      element: ElementName,
      motif: ElementName,
      sousMotif: ElementName,
      date: ElementName,
    }),
  }),
});
export type ElementTable = z.infer<typeof ElementTableSchema>;

/** Stable code of an unusable element table. */
export const ELEMENT_TABLE_INVALID = 'ELEMENT_TABLE_INVALID';

/** The table shipped with the gateway. */
export const defaultElementTablePath = join(__dirname, '..', '..', 'mappings', 'sne', 'elements.yaml');

/** Validates a table already read (YAML text). Throws a `ValidationError` listing every problem. */
export function parseElementTable(text: string): ElementTable {
  const doc = parseDocument(text);
  if (doc.errors.length) {
    const issues: Issue[] = doc.errors.map((e) => {
      const at = e.linePos?.[0];
      return { path: '', rule: 'yaml', message: `YAML syntax error ${e.code}${at ? ` at line ${at.line}, column ${at.col}` : ''}` };
    });
    throw new ValidationError(ELEMENT_TABLE_INVALID, issues, { system: 'codec' });
  }
  const parsed = ElementTableSchema.safeParse(doc.toJS());
  if (!parsed.success) throw new ValidationError(ELEMENT_TABLE_INVALID, issuesFromZod(parsed.error), { system: 'codec' });
  return parsed.data;
}

/** Reads and validates an element table (default: the shipped one). */
export function loadElementTable(path: string = defaultElementTablePath): ElementTable {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as { code?: unknown } | null)?.code;
    throw new ValidationError(
      ELEMENT_TABLE_INVALID,
      [{ path: '', rule: 'file-readable', message: `cannot read ${path} (${typeof code === 'string' ? code : 'unreadable'})` }],
      { system: 'codec' },
    );
  }
  return parseElementTable(text);
}
