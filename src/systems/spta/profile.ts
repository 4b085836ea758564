/**
 * SPTA profiles (`mappings/spta/<name>.yaml`): how one SPTA differs from the SNE it copies. A profile is
 * versioned data, validated as a whole (every problem reported as `spta/<name>.yaml#<path>`):
 * - `transport`: the defaults of each transport: the web service's endpoint path and service namespace
 *   (SOAP 1.2 / XOP-MTOM like the SNE), the folder layout of a file exchange;
 * - `renames`: SNE element name -> dialect name, one-to-one, applied to every element both ways;
 * - `codeTranslations`: per code list (src/domain/codes.ts, and the lists of the event blocks), SNE code
 *   -> dialect code, one-to-one; the codec applies them to the demand, `applySptaProfile` to the blocks.
 *
 * `checkSptaProfiles(config)` checks that every configured `spta[].profile` exists and is valid (the
 * `check-config` command prints its issues).
 */
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { isMap, isScalar, isSeq, parse as parseYaml, parseDocument } from 'yaml';
import { z } from 'zod';
import { createInterfaceNuuCodec, loadElementTable, type CodeTranslations, type ElementTable, type InterfaceNuuCodec } from '../../codec';
import type { CompiledSpec } from '../../codec/spec';
import type { Config } from '../../config';
import { codeLists, formatPath, isKnownCode, type CodeListName } from '../../domain';
import { isGatewayError, ValidationError, type Issue } from '../../errors';
import { SNE_ENDPOINT_PATH, SNE_SERVICE_NS } from '../sne/wire';
import { SptaErrorCode } from './errors';

/** The profiles shipped with the gateway (next to src/ and dist/), whatever the working directory. */
export const DEFAULT_SPTA_PROFILES_DIR = join(__dirname, '..', '..', '..', 'mappings', 'spta');

/**
 * Element names a profile cannot rename: the framing of the document and the anomaly list, by which the
 * wire layer finds the payload and the anomalies of an answer.
 */
export const RESERVED_ELEMENTS: readonly string[] = [
  'interfaceNuu',
  'entete',
  'typeFichier',
  'dateFichier',
  'demande',
  'demandeLogement',
  'listeAnomalie',
  'anomalie',
];

/** Code lists of the event blocks (src/mapping/sne.ts marks coded block elements with them). */
export const EVENT_CODE_LISTS: readonly string[] = ['decisionCal', 'statutVisite', 'piece', 'motifNonAttribution', 'motifRefus', 'critereL441'];

const PROFILE_NAME = /^[a-z0-9][a-z0-9-]{0,63}$/;
const ELEMENT_NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;
const CODE = /^[A-Za-z0-9_+.-]{1,20}$/;
const FOLDER = /^(?!\/)(?!.*(?:^|\/)\.\.(?:\/|$))[A-Za-z0-9._-]+(?:\/[A-Za-z0-9._-]+)*$/;

const elementName = z.string().regex(ELEMENT_NAME, 'an XML element name without prefix (letters, digits, _ . -)');
const code = z.string().regex(CODE, 'a code of 1 to 20 letters, digits or _ + . -');
const folder = z.string().regex(FOLDER, 'a relative folder inside the drop folder (no leading /, no ..)');

/** Schema of a profile file. */
export const SptaProfileSchema = z.strictObject({
  version: z.number().int().min(1),
  name: z.string().regex(PROFILE_NAME, 'lower-case letters, digits, dash'),
  /** `illustrative`: made up to show the mechanism; `provisional` / `official`: from a specification. */
  status: z.enum(['illustrative', 'provisional', 'official']),
  description: z.string().max(500).optional(),
  /** `versionInterface` of the files sent to this SPTA (default: the SNE's, `sne.interfaceVersion`). */
  interfaceVersion: z
    .string()
    .regex(/^\d{2}\.\d{2}$/, "a quoted version like '02.01'")
    .optional(),
  transport: z
    .strictObject({
      webservice: z
        .strictObject({
          endpointPath: z
            .string()
            .regex(/^\/[A-Za-z0-9._~\-/]*\/$/, 'a URL path starting and ending with /')
            .default(SNE_ENDPOINT_PATH),
          serviceNamespace: z.url({ protocol: /^https?$/ }).default(SNE_SERVICE_NS),
        })
        .prefault({}),
      files: z
        .strictObject({
          /** Where the gateway writes its demand files (inside the configured `dropDir`). */
          outDir: folder.default('out'),
          /** Where the SPTA puts its returns (`RET...`) and dispatch files. */
          inDir: folder.default('in'),
          /** Where the gateway moves the returns it has read. */
          doneDir: folder.default('in/done'),
        })
        .prefault({}),
    })
    .prefault({}),
  renames: z.record(elementName, elementName).default({}),
  codeTranslations: z.record(z.string(), z.record(code, code)).default({}),
});

/** A validated profile, with the file it was read from. */
export type SptaProfile = z.output<typeof SptaProfileSchema> & {
  /** `spta/<name>.yaml`: the prefix of its issues. */
  readonly file: string;
};

const at = (file: string, path: readonly PropertyKey[] = []): string => (path.length ? `${file}#${formatPath(path)}` : file);

/** Keys must be written as text: a number key loses its spelling (`01` becomes `1`). */
function checkKeys(node: unknown, path: PropertyKey[], file: string, issues: Issue[]): void {
  if (isMap(node)) {
    for (const pair of node.items) {
      const key = isScalar(pair.key) ? pair.key.value : undefined;
      const name = String(key);
      if (typeof key !== 'string') {
        issues.push({ path: at(file, [...path, name]), rule: 'quoted-key', message: 'key must be text: quote it (a number key loses its spelling, e.g. leading zeros)' });
      }
      checkKeys(pair.value, [...path, name], file, issues);
    }
  } else if (isSeq(node)) {
    node.items.forEach((item, i) => checkKeys(item, [...path, i], file, issues));
  }
}

function isCodeList(name: string): name is CodeListName {
  return Object.prototype.hasOwnProperty.call(codeLists, name);
}

/** Every element name of the SNE skeleton, as the codec compiles it. */
function skeletonNames(spec: CompiledSpec): Set<string> {
  const names = new Set<string>([...Object.values(spec.structure), spec.entete.typeFichier, spec.entete.dateFichier, spec.anomalies]);
  type Node = CompiledSpec['demandeLogement'][number];
  const walk = (fields: readonly Node[]): void => {
    for (const f of fields) {
      if (f.t === 'attr') continue;
      names.add(f.w);
      if (f.t === 'group') walk(f.fields);
      if (f.t === 'list') {
        names.add(f.item.w);
        if (f.item.t === 'group') walk(f.item.fields);
        if (f.item.t === 'wrap') names.add(f.item.inner);
      }
    }
  };
  walk(spec.demandeLogement);
  return names;
}

/** Element names of the event blocks (`mappings/sne/events.yaml`): every name under `logement` and `evenements`. */
function eventBlockNames(eventsPath: string): Set<string> {
  const names = new Set<string>();
  let data: unknown;
  try {
    data = parseYaml(readFileSync(eventsPath, 'utf8'));
  } catch {
    // The mapping loader reports an unreadable events table; renames of block names go unchecked then.
    return names;
  }
  const collect = (v: unknown, key: string): void => {
    if (key === 'typeFichier' || key === 'transmit') return;
    if (typeof v === 'string') {
      if (ELEMENT_NAME.test(v)) names.add(v);
    } else if (v && typeof v === 'object') {
      for (const [k, c] of Object.entries(v as Record<string, unknown>)) collect(c, k);
    }
  };
  const d = data as Record<string, unknown> | undefined;
  collect(d?.logement, 'logement');
  collect(d?.evenements, 'evenements');
  return names;
}

/** Rules the schema cannot say: names and codes known, one-to-one, nothing reserved renamed, a codec that compiles. */
function semanticIssues(p: z.output<typeof SptaProfileSchema>, file: string, expectedName: string, elements: ElementTable, eventsPath: string): Issue[] {
  const issues: Issue[] = [];
  if (p.name !== expectedName) issues.push({ path: at(file, ['name']), rule: 'file-name', message: `must be the name the file is named after (${expectedName})` });

  const base = createInterfaceNuuCodec({ elements });
  const known = new Set([...skeletonNames(base.spec), ...eventBlockNames(eventsPath)]);
  const targets = new Map<string, string>();
  for (const [from, to] of Object.entries(p.renames)) {
    const path = at(file, ['renames', from]);
    if (RESERVED_ELEMENTS.includes(from)) {
      issues.push({ path, rule: 'reserved-element', message: `<${from}> frames the document or its anomalies and keeps its SNE name` });
    } else if (!known.has(from)) {
      issues.push({ path, rule: 'known-element', message: `<${from}> is not an element of the SNE format nor of the event blocks` });
    }
    if (RESERVED_ELEMENTS.includes(to)) issues.push({ path, rule: 'reserved-element', message: `<${to}> is reserved to the framing of the document` });
    const other = targets.get(to);
    if (other !== undefined) issues.push({ path, rule: 'one-to-one', message: `<${other}> is already renamed to the same name` });
    targets.set(to, from);
  }

  for (const [list, table] of Object.entries(p.codeTranslations)) {
    const domain = isCodeList(list);
    if (!domain && !EVENT_CODE_LISTS.includes(list)) {
      issues.push({ path: at(file, ['codeTranslations', list]), rule: 'known-list', message: 'not a code list of src/domain/codes.ts nor of the event blocks' });
      continue;
    }
    const seen = new Map<string, string>();
    for (const [sne, dialect] of Object.entries(table)) {
      const path = at(file, ['codeTranslations', list, sne]);
      if (domain && !isKnownCode(list, sne)) issues.push({ path, rule: 'known-code', message: `not a code of the list ${list}` });
      const other = seen.get(dialect);
      if (other !== undefined) issues.push({ path, rule: 'one-to-one', message: `the SNE code ${other} already translates to the same dialect code` });
      seen.set(dialect, sne);
    }
  }

  if (!issues.length) {
    try {
      createSptaCodec({ renames: p.renames, codeTranslations: p.codeTranslations }, elements);
    } catch (e) {
      if (!(e instanceof ValidationError)) throw e;
      // The codec names the place in the document; the fix is in the renames.
      for (const i of e.issues) {
        const own = i.path.startsWith('renames') || i.path.startsWith('codeTranslations');
        issues.push({ path: own ? at(file, [i.path]) : at(file, ['renames']), rule: i.rule, message: own ? i.message : `${i.message} (under ${i.path})` });
      }
    }
  }
  return issues;
}

export interface LoadSptaProfileOptions {
  /** The SNE element table the dialect renames (default the shipped one). */
  elements?: ElementTable;
  /** The SNE events table whose block names may be renamed (default `<dir>/../sne/events.yaml`). */
  eventsPath?: string;
}

/** Reads and validates one profile; never throws for a bad file: `{ profile }` or `{ issues }`. */
export function checkSptaProfile(name: string, dir: string = DEFAULT_SPTA_PROFILES_DIR, options: LoadSptaProfileOptions = {}): { profile?: SptaProfile; issues: Issue[] } {
  const file = `${basename(dir)}/${name}.yaml`;
  if (!PROFILE_NAME.test(name)) return { issues: [{ path: file, rule: 'profile-name', message: 'a profile name: lower-case letters, digits, dash' }] };
  let text: string;
  try {
    text = readFileSync(join(dir, `${name}.yaml`), 'utf8');
  } catch (e) {
    const c = (e as { code?: unknown } | null)?.code;
    return { issues: [{ path: file, rule: 'file-readable', message: `cannot read the profile (${typeof c === 'string' ? c : 'unreadable'})` }] };
  }
  const doc = parseDocument(text);
  if (doc.errors.length) {
    return {
      issues: doc.errors.map((e) => {
        const pos = e.linePos?.[0];
        return { path: file, rule: 'yaml', message: `YAML syntax error ${e.code}${pos ? ` at line ${pos.line}, column ${pos.col}` : ''}` };
      }),
    };
  }
  const issues: Issue[] = [];
  checkKeys(doc.contents, [], file, issues);
  const parsed = SptaProfileSchema.safeParse(doc.toJS());
  if (!parsed.success) {
    for (const i of parsed.error.issues) issues.push({ path: at(file, i.path), rule: i.code, message: i.message });
    return { issues };
  }
  if (issues.length) return { issues };
  let elements: ElementTable;
  try {
    elements = options.elements ?? loadElementTable();
  } catch (e) {
    if (!isGatewayError(e)) throw e;
    return { issues: [{ path: file, rule: 'element-table', message: 'the SNE element table the profile renames cannot be loaded' }] };
  }
  issues.push(...semanticIssues(parsed.data, file, name, elements, options.eventsPath ?? join(dir, '..', 'sne', 'events.yaml')));
  if (issues.length) return { issues };
  return { profile: deepFreeze({ ...parsed.data, file }), issues };
}

/** Loads one profile, or throws a `ValidationError` `SPTA_PROFILE_INVALID` listing every problem. */
export function loadSptaProfile(name: string, dir: string = DEFAULT_SPTA_PROFILES_DIR, options: LoadSptaProfileOptions = {}): SptaProfile {
  const { profile, issues } = checkSptaProfile(name, dir, options);
  if (!profile) throw new ValidationError(SptaErrorCode.profileInvalid, issues, { system: 'mapping', details: { profile: name } });
  return profile;
}

/**
 * The problems of the SPTA profiles a configuration names: for each `spta[i]`, its profile must exist
 * under `dir` and be valid. Paths: `spta[i].profile` for a missing profile, `spta/<name>.yaml#<path>`
 * for a problem inside one (each profile reported once, however many SPTAs use it).
 */
export function checkSptaProfiles(config: Pick<Config, 'spta'>, dir: string = DEFAULT_SPTA_PROFILES_DIR, options: LoadSptaProfileOptions = {}): Issue[] {
  const issues: Issue[] = [];
  const results = new Map<string, { missing: boolean; issues: Issue[] }>();
  config.spta.forEach((entry, i) => {
    let r = results.get(entry.profile);
    const first = r === undefined;
    if (!r) {
      const checked = checkSptaProfile(entry.profile, dir, options);
      r = { missing: checked.issues.length === 1 && checked.issues[0]?.rule === 'file-readable', issues: checked.issues };
      results.set(entry.profile, r);
    }
    if (r.missing) issues.push({ path: `spta[${i}].profile`, rule: 'profile-exists', message: `no profile ${basename(dir)}/${entry.profile}.yaml` });
    else if (first) issues.push(...r.issues);
  });
  return issues;
}

/** The dialect codec of a profile: the SNE skeleton with its renames and code translations, both ways. */
export function createSptaCodec(profile: Pick<SptaProfile, 'renames' | 'codeTranslations'>, elements: ElementTable): InterfaceNuuCodec {
  const translations: CodeTranslations = {};
  for (const [list, table] of Object.entries(profile.codeTranslations)) if (isCodeList(list)) translations[list] = { ...table };
  return createInterfaceNuuCodec({ elements, renames: { ...profile.renames }, codeTranslations: translations });
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value as Record<string, unknown>)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
