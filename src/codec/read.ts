/**
 * From the tree fast-xml-parser builds for one `demandeLogement` to a plain object in the shape of the
 * canonical model, ready for `validateDemande`. Never throws on content: an element where a list is
 * expected, a non-integer amount or a bad boolean becomes an `Issue` at the canonical path, the field
 * is left out, and the demand is quarantined by the caller.
 */
import type { Issue } from '../errors';
import type { Warning } from '../domain';
import type { CField, CItem, CodeMap, CompiledSpec } from './spec';
import type { Anomalie } from './types';

type XNode = Record<string, unknown>;

/** What reading one demand gives. */
export interface ReadDemande {
  /** The canonical-shaped object, not yet validated. */
  input: Record<string, unknown>;
  /** Mapping issues (the demand cannot be accepted). */
  issues: Issue[];
  warnings: Warning[];
  anomalies: Anomalie[];
  /** The numéro unique as written, to identify a quarantined demand. */
  numUnique: string | undefined;
}

interface State {
  issues: Issue[];
  warnings: Warning[];
}

const join = (path: string, key: string): string => (path ? `${path}.${key}` : key);

function isNode(v: unknown): v is XNode {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function issue(st: State, path: string, rule: string, message: string): undefined {
  st.issues.push({ path, rule, message });
  return undefined;
}

/** One element where one is expected (fast-xml-parser gives an array when it repeats). */
function one(v: unknown, path: string, st: State): unknown {
  if (!Array.isArray(v)) return v;
  if (v.length === 1) return v[0];
  return issue(st, path, 'repeated-element', 'element appears more than once where one is expected');
}

function hasChildElements(o: XNode): boolean {
  for (const k of Object.keys(o)) if (k !== '#text' && !k.startsWith('@_')) return true;
  return false;
}

/** Text content; `undefined` for `xsi:nil="true"`. */
function textOf(v: unknown, path: string, st: State): string | undefined {
  if (typeof v === 'string') return v;
  if (!isNode(v)) return undefined;
  if (v['@_nil'] === 'true') return undefined;
  if (hasChildElements(v)) return issue(st, path, 'text-expected', 'element has child elements where a value is expected');
  const t = v['#text'];
  if (typeof t === 'string') return t;
  if (Array.isArray(t)) return t.join('');
  return '';
}

function translate(code: string, map: CodeMap | undefined): string {
  return map ? (map.toSne[code] ?? code) : code;
}

/** The `code` attribute of a coded element. */
function codeOf(v: unknown, map: CodeMap | undefined, path: string, st: State): string | undefined {
  if (typeof v === 'string') {
    // `<civilite/>`: an empty code, which validation reports; text instead of the attribute is a mapping error.
    return v === '' ? '' : issue(st, path, 'code-attribute', 'a coded value must be a code attribute on an empty element');
  }
  if (!isNode(v)) return undefined;
  if (v['@_nil'] === 'true') return undefined;
  const c = v['@_code'];
  return typeof c === 'string' ? translate(c, map) : '';
}

const INTEGER = /^[+-]?\d+$/;

function readText(f: Extract<CField, { t: 'text' }>, v: unknown, path: string, st: State): unknown {
  const s = textOf(v, path, st);
  if (s === undefined) return undefined;
  switch (f.kind) {
    case 'string':
      return s;
    case 'date':
      return s === '' ? undefined : s;
    case 'int': {
      if (s === '') return undefined;
      const n = INTEGER.test(s) ? Number(s) : NaN;
      return Number.isSafeInteger(n) ? n : issue(st, path, 'integer', 'must be a whole number');
    }
    case 'bool':
      if (s === 'true' || s === '1') return true;
      if (s === 'false' || s === '0') return false;
      return s === '' ? undefined : issue(st, path, 'boolean', 'must be true or false');
  }
}

function checkKnown(o: XNode, known: Set<string>, path: string, st: State): void {
  for (const k of Object.keys(o)) {
    if (k.startsWith('@_') || known.has(k)) continue;
    if (k === '#text') {
      st.warnings.push({ path, rule: 'unexpected-text', message: 'text found among child elements; ignored' });
    } else {
      st.warnings.push({ path, rule: 'unknown-element', message: `element <${k}> is not part of the mapping; ignored` });
    }
  }
}

/** An element that must hold elements: `{}` for an empty one, `undefined` (and an issue) for text. */
function elementOf(v: unknown, path: string, st: State): XNode | undefined {
  if (isNode(v)) return v;
  if (v === '') return {};
  return issue(st, path, 'element-expected', 'element holds text where child elements are expected');
}

function readFields(node: XNode, fields: CField[], target: XNode, root: XNode, path: string, st: State): void {
  for (const f of fields) {
    if (f.t === 'attr') {
      const a = node[`@_${f.name}`];
      if (typeof a === 'string') target[f.key] = translate(a, f.map);
      continue;
    }
    const raw = node[f.w];
    if (raw === undefined) continue;
    if (f.t === 'list') {
      readList(f, raw, target, root, path, st);
      continue;
    }
    const here = f.t === 'group' && f.key === null ? path : join(path, f.key!);
    const v = one(raw, here, st);
    if (v === undefined) continue;
    switch (f.t) {
      case 'text': {
        const value = readText(f, v, here, st);
        if (value !== undefined) target[f.key] = value;
        break;
      }
      case 'code': {
        const value = codeOf(v, f.map, here, st);
        if (value !== undefined) target[f.key] = value;
        break;
      }
      case 'group': {
        const el = elementOf(v, here, st);
        if (!el) break;
        checkKnown(el, f.known, here, st);
        if (f.key === null) {
          readFields(el, f.fields, target, root, path, st);
        } else {
          const obj: XNode = {};
          readFields(el, f.fields, obj, root, here, st);
          target[f.key] = obj;
        }
        break;
      }
    }
  }
}

function readList(f: Extract<CField, { t: 'list' }>, raw: unknown, target: XNode, root: XNode, path: string, st: State): void {
  const base = f.root ? root : target;
  const here = f.path.reduce((p, k) => join(p, k), f.root ? '' : path);
  const wrapper = one(raw, here, st);
  if (wrapper === undefined) return;
  let el: XNode;
  if (wrapper === '') el = {};
  else if (isNode(wrapper)) el = wrapper;
  else return void issue(st, here, 'list-expected', 'element holds text where a list of elements is expected');
  checkKnown(el, f.known, here, st);
  const items = el[f.item.w];
  const list = items === undefined ? [] : Array.isArray(items) ? items : [items];
  const out: unknown[] = [];
  for (let i = 0; i < list.length; i++) {
    const value = readItem(f.item, list[i], root, `${here}[${i}]`, st);
    // A failed item keeps its place (as undefined) so that later indexes stay right in the issues.
    out.push(value);
  }
  let obj = base;
  for (let i = 0; i < f.path.length - 1; i++) {
    const k = f.path[i]!;
    if (!isNode(obj[k])) obj[k] = {};
    obj = obj[k] as XNode;
  }
  obj[f.path[f.path.length - 1]!] = out;
}

function readItem(item: CItem, v: unknown, root: XNode, path: string, st: State): unknown {
  switch (item.t) {
    case 'code':
      return codeOf(v, item.map, path, st);
    case 'group': {
      const el = elementOf(v, path, st);
      if (!el) return undefined;
      checkKnown(el, item.known, path, st);
      const obj: XNode = {};
      readFields(el, item.fields, obj, root, path, st);
      return obj;
    }
    case 'wrap': {
      const el = elementOf(v, path, st);
      if (!el) return undefined;
      checkKnown(el, item.known, path, st);
      if (el[item.inner] === undefined) return issue(st, path, 'required', `needs a <${item.inner}> element`);
      const inner = one(el[item.inner], path, st);
      return inner === undefined ? undefined : codeOf(inner, undefined, path, st);
    }
  }
}

/** The text of an anomaly: its own text, else its children's (a `libelle` element, say). Never an issue. */
function anomalyText(a: unknown): string {
  if (typeof a === 'string') return a;
  if (Array.isArray(a)) return a.map(anomalyText).filter(Boolean).join(' ');
  if (!isNode(a)) return '';
  if (typeof a['#text'] === 'string') return a['#text'];
  return Object.keys(a)
    .filter((k) => !k.startsWith('@_'))
    .map((k) => anomalyText(a[k]))
    .filter(Boolean)
    .join(' ');
}

function readAnomalies(raw: unknown): Anomalie[] {
  const out: Anomalie[] = [];
  const lists = Array.isArray(raw) ? raw : [raw];
  for (const wrapper of lists) {
    if (!isNode(wrapper)) continue;
    for (const k of Object.keys(wrapper)) {
      if (k.startsWith('@_') || k === '#text') continue;
      const items = wrapper[k];
      for (const a of Array.isArray(items) ? items : [items]) {
        const code = isNode(a) && typeof a['@_code'] === 'string' ? a['@_code'] : '';
        out.push({ code, message: anomalyText(a) });
      }
    }
  }
  return out;
}

/** Reads one `demandeLogement` element (the value fast-xml-parser gives for it). */
export function readDemandeLogement(value: unknown, spec: CompiledSpec): ReadDemande {
  const st: State = { issues: [], warnings: [] };
  const input: XNode = {};
  const node = elementOf(value, '', st);
  let anomalies: Anomalie[] = [];
  let numUnique: string | undefined;
  if (node) {
    checkKnown(node, spec.known, '', st);
    readFields(node, spec.demandeLogement, input, input, '', st);
    if (node[spec.anomalies] !== undefined) anomalies = readAnomalies(node[spec.anomalies]);
    if (typeof input.numUnique === 'string' && input.numUnique) numUnique = input.numUnique;
  }
  return { input, issues: st.issues, warnings: st.warnings, anomalies, numUnique };
}
