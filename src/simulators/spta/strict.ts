/**
 * What makes a simulated SPTA strict about its dialect: a file written with an SNE element name that the
 * dialect renames, or with an SNE code that the dialect spells otherwise, is refused (the codec alone
 * would ignore the unknown element, and pass the SNE code through as a valid one).
 *
 * - names: an element named with a key of `renames` (that no rename targets) -> `CTRL_DEM_0034`;
 * - codes: the `code` attribute of an element whose code lists are all translated, holding an SNE code
 *   the dialect translates (and does not also use) -> `CTRL_DEM_0031`.
 * Messages name elements and lists, never values. Event blocks' codes are not checked (their lists are
 * known to the mapping, not to the codec's skeleton).
 */
import type { ElementTable } from '../../codec';
import { demandeLogementFields, type FieldSpec, type ItemSpec } from '../../codec/spec';
import { codesOf, type CodeListName } from '../../domain';
import type { XmlElement } from '../../systems/sne/wire/xml';
import type { SptaProfile } from '../../systems/spta';
import { SimAnomaly, type SimAnomalyItem } from '../sne/service';

/** Wire element name -> the code lists its `code` attribute carries, from the skeleton with the renames. */
function codedElements(elements: ElementTable, renames: Readonly<Record<string, string>>): Map<string, Set<CodeListName>> {
  const out = new Map<string, Set<CodeListName>>();
  const w = (name: string): string => (Object.prototype.hasOwnProperty.call(renames, name) ? (renames[name] as string) : name);
  const add = (el: string, list: CodeListName): void => {
    const lists = out.get(w(el)) ?? new Set<CodeListName>();
    lists.add(list);
    out.set(w(el), lists);
  };
  const fields = (fs: readonly FieldSpec[], parent: string): void => {
    for (const f of fs) {
      if (f.t === 'code') add(f.el, f.list);
      else if (f.t === 'attr' && f.name === 'code' && f.list) add(parent, f.list);
      else if (f.t === 'group') fields(f.fields, f.el);
      else if (f.t === 'list') item(f.item);
    }
  };
  const item = (i: ItemSpec): void => {
    if (i.t === 'code') add(i.el, i.list);
    else if (i.t === 'group') fields(i.fields, i.el);
  };
  fields(demandeLogementFields(elements.elements), 'demandeLogement');
  return out;
}

/** Per coded element whose lists are all translated: the SNE spellings the dialect does not accept. */
function refusedCodes(elements: ElementTable, profile: Pick<SptaProfile, 'renames' | 'codeTranslations'>): Map<string, { lists: string; codes: Set<string> }> {
  const translations = profile.codeTranslations;
  const out = new Map<string, { lists: string; codes: Set<string> }>();
  for (const [el, lists] of codedElements(elements, profile.renames)) {
    const tables = [...lists].map((l) => translations[l]);
    if (tables.some((t) => t === undefined)) continue;
    const accepted = new Set<string>();
    const sneSpellings = new Set<string>();
    [...lists].forEach((list, k) => {
      const t = tables[k] as Readonly<Record<string, string>>;
      for (const c of codesOf(list)) if (!Object.prototype.hasOwnProperty.call(t, c)) accepted.add(c);
      for (const [sne, dialect] of Object.entries(t)) {
        accepted.add(dialect);
        sneSpellings.add(sne);
      }
    });
    const codes = new Set([...sneSpellings].filter((c) => !accepted.has(c)));
    if (codes.size) out.set(el, { lists: [...lists].join(', '), codes });
  }
  return out;
}

/** The check a dialect simulator runs on every file written to it (see `SneServiceOptions.checkDocument`). */
export function dialectChecks(profile: Pick<SptaProfile, 'renames' | 'codeTranslations' | 'name'>, elements: ElementTable): (root: XmlElement) => SimAnomalyItem[] {
  const targets = new Set(Object.values(profile.renames));
  const foreign = new Map(Object.entries(profile.renames).filter(([from]) => !targets.has(from)));
  const codes = refusedCodes(elements, profile);
  return (root) => {
    const found = new Map<string, SimAnomalyItem>();
    const todo: XmlElement[] = [root];
    while (todo.length) {
      const el = todo.pop() as XmlElement;
      todo.push(...el.children);
      const expected = foreign.get(el.local);
      if (expected !== undefined && !found.has(`name:${el.local}`)) {
        found.set(`name:${el.local}`, {
          code: SimAnomaly.format,
          message: `<${el.local}>: an SNE element name; the ${profile.name} format names it <${expected}> [dialect.element]`,
        });
      }
      const refused = codes.get(el.local);
      const value = refused ? el.attributes.find((a) => a.local === 'code' && a.ns === '')?.value : undefined;
      if (refused && value !== undefined && refused.codes.has(value) && !found.has(`code:${el.local}`)) {
        found.set(`code:${el.local}`, {
          code: SimAnomaly.code,
          message: `<${el.local}>@code: an SNE spelling; the ${profile.name} format spells the list ${refused.lists} its own way [dialect.code]`,
        });
      }
    }
    return [...found.values()];
  };
}
