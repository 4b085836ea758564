/**
 * Canonical demands to an `interfaceNuu` document: a hand-written string builder over the skeleton's
 * fixed element order (spec.ts). Deterministic by construction: UTF-8 declaration, two-space
 * indentation, one element per line, `\n` line ends, absent optional elements and empty lists left out
 * (except `listeRessourceRecuePersACharge`, whose presence carries the dependants' resources block).
 */
import { IsoDateTime } from '../domain';
import { CodecError, CodecErrorCode } from './errors';
import type { CField, CItem, CodeMap, CompiledSpec, TextKind } from './spec';
import { isTypeFichier, type InterfaceNuuInput } from './types';
import { escapeAttr, escapeText, hasInvalidXmlChar } from './xmltext';

type XNode = Record<string, unknown>;

const INDENT: string[] = Array.from({ length: 65 }, (_, i) => '  '.repeat(i));
const ind = (depth: number): string => INDENT[depth] ?? '  '.repeat(depth);
const join = (path: string, key: string): string => (path ? `${path}.${key}` : key);

function invalid(path: string, rule: string): CodecError {
  return new CodecError(CodecErrorCode.buildInvalid, `cannot write ${path || '(document)'}: ${rule}`, { path, rule });
}

function str(v: unknown, path: string): string {
  if (typeof v !== 'string') throw invalid(path, 'expected a string');
  if (hasInvalidXmlChar(v)) throw invalid(path, 'holds a character XML 1.0 cannot carry (control character or lone surrogate)');
  return v;
}

function textValue(v: unknown, kind: TextKind, path: string): string {
  switch (kind) {
    case 'int':
      if (!Number.isSafeInteger(v)) throw invalid(path, 'expected a whole number');
      return String(v);
    case 'bool':
      if (typeof v !== 'boolean') throw invalid(path, 'expected a boolean');
      return v ? 'true' : 'false';
    default:
      return escapeText(str(v, path));
  }
}

function codeAttr(v: unknown, map: CodeMap | undefined, path: string): string {
  const c = str(v, path);
  return ` code="${escapeAttr(map ? (map.toWire[c] ?? c) : c)}"`;
}

function attrsOf(obj: XNode, fields: CField[], path: string): string {
  let out = '';
  for (const f of fields) {
    if (f.t !== 'attr') continue;
    const v = obj[f.key];
    if (v === undefined) continue;
    const c = str(v, join(path, f.key));
    out += ` ${f.name}="${escapeAttr(f.map ? (f.map.toWire[c] ?? c) : c)}"`;
  }
  return out;
}

function element(q: string, attrs: string, inner: string, depth: number): string {
  const i = ind(depth);
  return inner ? `${i}<${q}${attrs}>\n${inner}${i}</${q}>\n` : `${i}<${q}${attrs}/>\n`;
}

function writeFields(obj: XNode, root: XNode, fields: CField[], depth: number, path: string): string {
  let out = '';
  for (const f of fields) {
    switch (f.t) {
      case 'attr':
        break;
      case 'text': {
        const v = obj[f.key];
        if (v === undefined) break;
        const s = textValue(v, f.kind, join(path, f.key));
        out += s ? `${ind(depth)}<${f.q}>${s}</${f.q}>\n` : `${ind(depth)}<${f.q}/>\n`;
        break;
      }
      case 'code': {
        const v = obj[f.key];
        if (v === undefined) break;
        out += `${ind(depth)}<${f.q}${codeAttr(v, f.map, join(path, f.key))}/>\n`;
        break;
      }
      case 'group': {
        if (f.key === null) {
          const inner = writeFields(obj, root, f.fields, depth + 1, path);
          if (inner) out += element(f.q, '', inner, depth);
          break;
        }
        const v = obj[f.key];
        if (v === undefined) break;
        const here = join(path, f.key);
        if (typeof v !== 'object' || v === null) throw invalid(here, 'expected an object');
        out += element(f.q, attrsOf(v as XNode, f.fields, here), writeFields(v as XNode, root, f.fields, depth + 1, here), depth);
        break;
      }
      case 'list': {
        let v: unknown = f.root ? root : obj;
        for (const k of f.path) v = (v as XNode | undefined)?.[k];
        if (v === undefined) break;
        const here = f.path.reduce((p, k) => join(p, k), f.root ? '' : path);
        if (!Array.isArray(v)) throw invalid(here, 'expected a list');
        if (v.length === 0) {
          if (f.keepEmpty) out += `${ind(depth)}<${f.q}/>\n`;
          break;
        }
        let inner = '';
        for (let i = 0; i < v.length; i++) inner += writeItem(f.item, v[i], root, depth + 1, `${here}[${i}]`);
        out += `${ind(depth)}<${f.q}>\n${inner}${ind(depth)}</${f.q}>\n`;
        break;
      }
    }
  }
  return out;
}

function writeItem(item: CItem, v: unknown, root: XNode, depth: number, path: string): string {
  switch (item.t) {
    case 'code':
      return `${ind(depth)}<${item.q}${codeAttr(v, item.map, path)}/>\n`;
    case 'group':
      if (typeof v !== 'object' || v === null) throw invalid(path, 'expected an object');
      return element(item.q, attrsOf(v as XNode, item.fields, path), writeFields(v as XNode, root, item.fields, depth + 1, path), depth);
    case 'wrap':
      return `${ind(depth)}<${item.q}>\n${ind(depth + 1)}<${item.innerQ}${codeAttr(v, undefined, path)}/>\n${ind(depth)}</${item.q}>\n`;
  }
}

/** One `demandeLogement` element, at the given depth. */
export function writeDemandeLogement(spec: CompiledSpec, demande: object, depth: number, index: number): string {
  try {
    const inner = writeFields(demande as XNode, demande as XNode, spec.demandeLogement, depth + 1, '');
    return element(spec.structureQ.demandeLogement, '', inner, depth);
  } catch (e) {
    // Name the demand too: `demandes[3].demandeur.nom`.
    const { path, rule } = e instanceof CodecError ? e.details : {};
    if (typeof path === 'string' && typeof rule === 'string') throw invalid(join(`demandes[${index}]`, path), rule);
    throw e;
  }
}

/** Builds a whole document. */
export function writeInterfaceNuu(spec: CompiledSpec, namespace: { uri: string; prefix?: string }, input: InterfaceNuuInput): string {
  const { versionInterface, entete } = input;
  if (typeof versionInterface !== 'string' || !versionInterface) throw invalid('versionInterface', 'is required');
  if (typeof entete?.typeFichier !== 'string' || !isTypeFichier(entete.typeFichier)) throw invalid('entete.typeFichier', 'must be one of CRE CRS MOD REN RAD SUP DIS RET COP');
  if (typeof entete.dateFichier !== 'string' || !IsoDateTime.safeParse(entete.dateFichier).success) {
    throw invalid('entete.dateFichier', 'must be an ISO 8601 date-time with offset');
  }
  const s = spec.structureQ;
  const e = spec.entete;
  const xmlns = namespace.prefix ? `xmlns:${namespace.prefix}` : 'xmlns';
  let out =
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<${s.root} ${xmlns}="${escapeAttr(str(namespace.uri, 'namespace'))}" versionInterface="${escapeAttr(str(versionInterface, 'versionInterface'))}">\n` +
    `  <${s.entete}>\n` +
    `    <${e.typeFichierQ}>${entete.typeFichier}</${e.typeFichierQ}>\n` +
    `    <${e.dateFichierQ}>${escapeText(entete.dateFichier)}</${e.dateFichierQ}>\n` +
    `  </${s.entete}>\n`;
  const demandes = input.demandes;
  if ((input.form ?? 'demande') === 'demandeLogement') {
    if (demandes.length) {
      out += `  <${s.demande}>\n`;
      for (let i = 0; i < demandes.length; i++) out += writeDemandeLogement(spec, demandes[i]!, 2, i);
      out += `  </${s.demande}>\n`;
    }
  } else {
    for (let i = 0; i < demandes.length; i++) {
      out += `  <${s.demande}>\n${writeDemandeLogement(spec, demandes[i]!, 2, i)}  </${s.demande}>\n`;
    }
  }
  return `${out}</${s.root}>\n`;
}
