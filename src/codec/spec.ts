/**
 * The skeleton of a demand (domain.md §4) as data: one declarative tree, in document order, read by the
 * parser and written by the builder, so that both directions share one element order and one mapping.
 * Known element names are here; the [open] ones come from the element table (elements.ts).
 *
 * `compileSpec` resolves the table, the dialect renames and code translations once per codec.
 */
import { ValidationError, type Issue } from '../errors';
import type { CodeListName } from '../domain';
import type { ElementTable } from './elements';
import type { StructureNames } from './splitter';
import type { CodeTranslations } from './types';

/** How a text element's content maps to the canonical value. */
export type TextKind = 'string' | 'int' | 'bool' | 'date';

/** A field of the skeleton, with SNE element names. */
export type FieldSpec =
  /** `<el>text</el>` -> `key` */
  | { t: 'text'; el: string; key: string; kind: TextKind }
  /** `<el code="X"/>` -> `key: 'X'` */
  | { t: 'code'; el: string; key: string; list: CodeListName }
  /** an attribute of the enclosing element -> `key` (a code of `list`; INSEE commune codes have none) */
  | { t: 'attr'; name: string; key: string; list?: CodeListName }
  /** `<el>...</el>` -> `key: {...}`; `key: null` for an XML-only wrapper whose fields stay on the parent */
  | { t: 'group'; el: string; key: string | null; fields: FieldSpec[] }
  /**
   * `<el><item/>...</el>` -> `path: [...]`, relative to the parent object, or to the demand when `root`.
   * `keepEmpty`: written even when empty, because its presence is the only trace of its parent object.
   */
  | { t: 'list'; el: string; path: string[]; root?: boolean; keepEmpty?: boolean; item: ItemSpec };

export type ItemSpec =
  /** `<el code="X"/>` -> `'X'` */
  | { t: 'code'; el: string; list: CodeListName }
  /** `<el>fields</el>` -> `{...}` */
  | { t: 'group'; el: string; fields: FieldSpec[] }
  /** `<el><inner code="X"/></el>` -> `'X'` (wanted communes) */
  | { t: 'wrap'; el: string; inner: string };

const text = (el: string, key: string = el, kind: TextKind = 'string'): FieldSpec => ({ t: 'text', el, key, kind });
const int = (el: string, key: string = el): FieldSpec => text(el, key, 'int');
const date = (el: string, key: string = el): FieldSpec => text(el, key, 'date');
const bool = (el: string, key: string = el): FieldSpec => text(el, key, 'bool');
const code = (el: string, list: CodeListName, key: string = el): FieldSpec => ({ t: 'code', el, key, list });
const group = (el: string, key: string | null, fields: FieldSpec[]): FieldSpec => ({ t: 'group', el, key, fields });
const codeList = (el: string, key: string, item: string, list: CodeListName): FieldSpec => ({
  t: 'list',
  el,
  path: [key],
  item: { t: 'code', el: item, list },
});
const commune = (): FieldSpec => group('commune', 'commune', [{ t: 'attr', name: 'code', key: 'code' }]);

/** The SNE names of the four framing elements. */
export const sneStructureNames: StructureNames = {
  root: 'interfaceNuu',
  entete: 'entete',
  demande: 'demande',
  demandeLogement: 'demandeLogement',
};

/** Element names of the header. */
export const enteteNames = { typeFichier: 'typeFichier', dateFichier: 'dateFichier' } as const;

/** Where the SNE puts business anomalies (responses only): `listeAnomalie/*@code` + text. */
export const anomalieListName = 'listeAnomalie';

function ressources(el: string, path: string[], list: CodeListName, extra: { root?: boolean; keepEmpty?: boolean } = {}): FieldSpec {
  return {
    t: 'list',
    el,
    path,
    item: { t: 'group', el: 'detailRessource', fields: [code('ressource', list, 'code'), int('montant')] },
    ...extra,
  };
}

function situationProfessionnelle(): FieldSpec {
  return group('situationProfessionnelle', 'situationProfessionnelle', [
    text('profession'),
    code('typeContratTravail', 'typeContratTravail'),
    text('nomEmployeurPrincipal'),
    bool('etranger'),
    text('codePostal'),
    commune(),
  ]);
}

function revenuFiscal(): FieldSpec {
  return group('revenuFiscal', 'revenuFiscal', [int('anneeMoins1'), int('montantMoins1'), int('anneeMoins2'), int('montantMoins2')]);
}

/** The fields of `demandeLogement`, in document order. */
export function demandeLogementFields(t: ElementTable['elements']): FieldSpec[] {
  return [
    text('numGuichet'),
    text('numUnique'),
    date('dateCreationDemande'),
    date(t.dateDernierRenouvellement, 'dateDernierRenouvellement'),
    date(t.dateExpiration, 'dateExpiration'),
    group('personnePhysique', null, [
      group('demandeur', 'demandeur', [
        code('civilite', 'civilite'),
        text('nom'),
        // Not in the known demandeur skeleton (the co-holder has it): placed as for the co-holder.
        text('nomPatronymique'),
        text('prenom'),
        date('dateNaissance'),
        code('nationalite', 'nationalite'),
        code('situationFamiliale', 'situationFamiliale'),
        text('telPortable'),
        text('mel'),
        group('adressePostale', 'adressePostale', [
          bool('etranger'),
          text('numero'),
          text('voie'),
          text('codePostal'),
          commune(),
        ]),
        situationProfessionnelle(),
        revenuFiscal(),
        ressources('listeRessourceRecue', ['ressourcesRecues'], 'ressourceRecue'),
        ressources('listeRessourceVersee', ['ressourcesVersees'], 'ressourceVersee'),
        // The dependants' resources sit under the applicant on the wire, at the demand's level in the model.
        ressources('listeRessourceRecuePersACharge', ['ressourcesPersonnesACharge', 'recues'], 'ressourceRecue', {
          root: true,
          keepEmpty: true,
        }),
        ressources('listeRessourceVerseePersACharge', ['ressourcesPersonnesACharge', 'versees'], 'ressourceVersee', {
          root: true,
        }),
      ]),
      {
        t: 'list',
        el: 'listePersonneACharge',
        path: ['personnesACharge'],
        item: {
          t: 'group',
          el: 'personneACharge',
          fields: [text('nom'), text('prenom'), date('dateNaissance'), code('sexe', 'sexe'), code('lienParente', 'lienParente')],
        },
      },
      group('personneANaitre', 'personneANaitre', [int('nombre'), date('dateNaissancePrevue')]),
      {
        t: 'list',
        el: 'listePersonneEnGarde',
        path: ['personnesEnGarde'],
        item: {
          t: 'group',
          el: 'personneEnGarde',
          fields: [date('dateNaissance'), code('sexe', 'sexe'), code('coParentalite', 'coParentalite')],
        },
      },
      {
        t: 'list',
        el: 'listeCotitulaire',
        path: ['cotitulaires'],
        item: {
          t: 'group',
          el: 'cotitulaire',
          fields: [
            code('civilite', 'civilite'),
            text('nom'),
            text('nomPatronymique'),
            text('prenom'),
            date('dateNaissance'),
            code('nationalite', 'nationalite'),
            code('situationFamiliale', 'situationFamiliale'),
            code('lienDemandeur', 'lienDemandeur'),
            situationProfessionnelle(),
            revenuFiscal(),
            ressources('listeRessourceRecue', ['ressourcesRecues'], 'ressourceRecue'),
            ressources('listeRessourceVersee', ['ressourcesVersees'], 'ressourceVersee'),
          ],
        },
      },
      group('logementActuel', 'logementActuel', [
        codeList('listeModeleLogement', 'modeles', 'modeleLogement', 'modeleLogement'),
        int('montantMensuelLoyer'),
        int('nombreHabitant'),
        code('categorieLogement', 'categorieLogement', 'categorie'),
        code('typeLogementActuel', 'typeLogement', 'typeLogement'),
        int('surface'),
        text('proprietaire'),
      ]),
    ]),
    group('logementRecherche', 'logementRecherche', [
      bool('demandeElargie'),
      codeList('listeTypeLogement', 'typesLogement', 'typeLogement', 'typeLogement'),
      { t: 'list', el: 'listeLocalisationSouhaite', path: ['communes'], item: { t: 'wrap', el: 'localisationSouhaite', inner: 'commune' } },
      code(t.categorieRecherchee, 'categorieLogement', 'categorie'),
    ]),
    {
      t: 'list',
      el: t.motifs.list,
      path: ['motifs'],
      item: { t: 'group', el: t.motifs.item, fields: [{ t: 'attr', name: 'code', key: 'code', list: 'motifDemande' }, text(t.motifs.precision, 'precision')] },
    },
    group(t.handicap.element, 'handicap', [
      code(t.handicap.etat, 'etatHandicap', 'etat'),
      code(t.handicap.capaciteMarche, 'capaciteMarche', 'capaciteMarche'),
      codeList(t.handicap.moteur.list, 'moteur', t.handicap.moteur.item, 'handicapMoteur'),
      codeList(t.handicap.sensoriel.list, 'sensoriel', t.handicap.sensoriel.item, 'handicapSensoriel'),
      codeList(t.handicap.aidesTechniques.list, 'aidesTechniques', t.handicap.aidesTechniques.item, 'aideTechnique'),
      codeList(
        t.handicap.equipementsNecessaires.list,
        'equipementsNecessaires',
        t.handicap.equipementsNecessaires.item,
        'equipementNecessaire',
      ),
    ]),
    group(t.dalo.element, 'dalo', [code(t.dalo.statut, 'statutDalo', 'statut'), date(t.dalo.dateDecision, 'dateDecision')]),
    code(t.accordCollectif, 'accordCollectif', 'accordCollectif'),
    {
      t: 'list',
      el: t.labels.list,
      path: ['labels'],
      item: {
        t: 'group',
        el: t.labels.item,
        fields: [code(t.labels.source, 'sourceLabel', 'source'), date(t.labels.date, 'date'), text(t.labels.emetteur, 'emetteur')],
      },
    },
    codeList(t.contingents.list, 'contingents', t.contingents.item, 'typeReservataire'),
    group(t.radiation.element, 'radiation', [
      code(t.radiation.motif, 'motifRadiation', 'motif'),
      code(t.radiation.sousMotif, 'sousMotifRadiation', 'sousMotif'),
      date(t.radiation.date, 'date'),
    ]),
  ];
}

// ---- compiled form ---------------------------------------------------------------------------------

/** Code translation for one list, both ways (absent when the dialect does not translate the list). */
export interface CodeMap {
  toSne: Record<string, string>;
  toWire: Record<string, string>;
}

export type CField =
  | { t: 'text'; w: string; q: string; key: string; kind: TextKind }
  | { t: 'code'; w: string; q: string; key: string; list: CodeListName; map: CodeMap | undefined }
  | { t: 'attr'; name: string; key: string; map: CodeMap | undefined }
  | { t: 'group'; w: string; q: string; key: string | null; fields: CField[]; known: Set<string> }
  | { t: 'list'; w: string; q: string; path: string[]; root: boolean; keepEmpty: boolean; item: CItem; known: Set<string> };

export type CItem =
  | { t: 'code'; w: string; q: string; list: CodeListName; map: CodeMap | undefined }
  | { t: 'group'; w: string; q: string; fields: CField[]; known: Set<string> }
  | { t: 'wrap'; w: string; q: string; inner: string; innerQ: string; known: Set<string> };

/** Everything a codec needs, resolved once. `w`: wire name without prefix; `q`: name written. */
export interface CompiledSpec {
  structure: StructureNames;
  /** Written names of the framing elements (with the build prefix). */
  structureQ: StructureNames;
  entete: { typeFichier: string; dateFichier: string; typeFichierQ: string; dateFichierQ: string; known: Set<string> };
  anomalies: string;
  /** The fields of `demandeLogement`. */
  demandeLogement: CField[];
  /** Children of `demandeLogement` that the mapping knows. */
  known: Set<string>;
  /** Wire names of list items: fast-xml-parser's `isArray`. */
  itemNames: Set<string>;
}

const NAME_RE = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

/** Compiles the skeleton for a table, a dialect and a build prefix. Throws a `ValidationError` on clashes. */
export function compileSpec(
  table: ElementTable,
  renames: Record<string, string> = {},
  codeTranslations: CodeTranslations = {},
  prefix = '',
): CompiledSpec {
  const issues: Issue[] = [];
  for (const [from, to] of Object.entries(renames)) {
    if (!NAME_RE.test(to) || !NAME_RE.test(from)) {
      issues.push({ path: `renames.${from}`, rule: 'element-name', message: 'renames map an element name to an element name (no prefix)' });
    }
  }
  const maps = new Map<CodeListName, CodeMap>();
  for (const [list, table_] of Object.entries(codeTranslations) as Array<[CodeListName, Record<string, string> | undefined]>) {
    if (!table_) continue;
    const toSne: Record<string, string> = Object.create(null) as Record<string, string>;
    const toWire: Record<string, string> = Object.create(null) as Record<string, string>;
    for (const [sne, wire] of Object.entries(table_)) {
      if (toSne[wire] !== undefined) {
        issues.push({ path: `codeTranslations.${list}`, rule: 'injective', message: 'two SNE codes translate to the same dialect code' });
      }
      toSne[wire] = sne;
      toWire[sne] = wire;
    }
    maps.set(list, { toSne, toWire });
  }
  const w = (name: string): string => renames[name] ?? name;
  const q = (name: string): string => (prefix ? `${prefix}:${w(name)}` : w(name));
  const itemNames = new Set<string>();

  const known = (fields: CField[], path: string, extra: string[] = []): Set<string> => {
    const names = new Set<string>(extra);
    for (const f of fields) {
      if (f.t === 'attr') continue;
      if (names.has(f.w)) {
        issues.push({ path, rule: 'unique-element', message: `two fields are written as <${f.w}> in the same element` });
      }
      names.add(f.w);
    }
    return names;
  };
  const field = (f: FieldSpec, path: string): CField => {
    switch (f.t) {
      case 'text':
        return { t: 'text', w: w(f.el), q: q(f.el), key: f.key, kind: f.kind };
      case 'code':
        return { t: 'code', w: w(f.el), q: q(f.el), key: f.key, list: f.list, map: maps.get(f.list) };
      case 'attr':
        return { t: 'attr', name: f.name, key: f.key, map: f.list ? maps.get(f.list) : undefined };
      case 'group': {
        const sub = `${path}/${f.el}`;
        const fields = f.fields.map((c) => field(c, sub));
        return { t: 'group', w: w(f.el), q: q(f.el), key: f.key, fields, known: known(fields, sub) };
      }
      case 'list': {
        const it = item(f.item, `${path}/${f.el}`);
        return {
          t: 'list',
          w: w(f.el),
          q: q(f.el),
          path: f.path,
          root: f.root ?? false,
          keepEmpty: f.keepEmpty ?? false,
          item: it,
          known: new Set([it.w]),
        };
      }
    }
  };
  const item = (i: ItemSpec, path: string): CItem => {
    itemNames.add(w(i.el));
    switch (i.t) {
      case 'code':
        return { t: 'code', w: w(i.el), q: q(i.el), list: i.list, map: maps.get(i.list) };
      case 'group': {
        const sub = `${path}/${i.el}`;
        const fields = i.fields.map((c) => field(c, sub));
        return { t: 'group', w: w(i.el), q: q(i.el), fields, known: known(fields, sub) };
      }
      case 'wrap':
        return { t: 'wrap', w: w(i.el), q: q(i.el), inner: w(i.inner), innerQ: q(i.inner), known: new Set([w(i.inner)]) };
    }
  };

  const fields = demandeLogementFields(table.elements).map((f) => field(f, 'demandeLogement'));
  const rootKnown = known(fields, 'demandeLogement', [w(anomalieListName)]);
  const structure: StructureNames = {
    root: w(sneStructureNames.root),
    entete: w(sneStructureNames.entete),
    demande: w(sneStructureNames.demande),
    demandeLogement: w(sneStructureNames.demandeLogement),
  };
  const structureQ: StructureNames = {
    root: q(sneStructureNames.root),
    entete: q(sneStructureNames.entete),
    demande: q(sneStructureNames.demande),
    demandeLogement: q(sneStructureNames.demandeLogement),
  };
  if (issues.length) throw new ValidationError('CODEC_OPTIONS_INVALID', issues, { system: 'codec' });
  return {
    structure,
    structureQ,
    entete: {
      typeFichier: w(enteteNames.typeFichier),
      dateFichier: w(enteteNames.dateFichier),
      typeFichierQ: q(enteteNames.typeFichier),
      dateFichierQ: q(enteteNames.dateFichier),
      known: new Set([w(enteteNames.typeFichier), w(enteteNames.dateFichier)]),
    },
    anomalies: w(anomalieListName),
    demandeLogement: fields,
    known: rootKnown,
    itemNames,
  };
}
