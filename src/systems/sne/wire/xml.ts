/**
 * A small, strict XML reader for SOAP envelopes and SNE documents.
 *
 * Why not a tree parser library: the service is strict about layout (an `xop:Include` must follow the
 * opening tag of its parent on the same line), so the request checker needs source offsets, and the
 * response reader must cut the `interfaceNuu` document out of the envelope byte-exact, with the namespace
 * declarations it inherits. This reader keeps offsets, resolves namespaces, and refuses what a hostile
 * message could use: any `<!DOCTYPE` (so no DTD, no entity definitions), undeclared entity references,
 * characters XML forbids, unbalanced tags and excessive depth. It does not validate against a schema.
 */
import { WireFormatError } from './errors';

export const XML_NS = 'http://www.w3.org/XML/1998/namespace';

export interface XmlAttribute {
  qname: string;
  prefix: string;
  local: string;
  /** Resolved namespace ('' for an unprefixed attribute). */
  ns: string;
  /** Value with entities decoded and whitespace normalised (XML 1.0 §3.3.3). */
  value: string;
}

/** Namespace bindings in scope: prefix -> URI, `''` for the default namespace (prototype chain). */
export type NamespaceScope = Readonly<Record<string, string>>;

export interface XmlElement {
  qname: string;
  prefix: string;
  local: string;
  /** Resolved namespace URI, '' when the element is in no namespace. */
  ns: string;
  /** Attributes other than namespace declarations. */
  attributes: XmlAttribute[];
  /** Namespace declarations made on this element: [prefix ('' for default), URI]. */
  declarations: Array<[string, string]>;
  scope: NamespaceScope;
  parent: XmlElement | undefined;
  children: XmlElement[];
  /** Character data directly inside this element (CDATA included), entities decoded. */
  text: string;
  /** Offset of `<` of the opening tag. */
  start: number;
  /** Offset just after the `>` of the opening tag. */
  openEnd: number;
  /** Offset of `</` of the closing tag (equals `end` for an empty-element tag). */
  closeStart: number;
  /** Offset just after the closing tag. */
  end: number;
  selfClosing: boolean;
}

export interface XmlDocument {
  source: string;
  root: XmlElement;
}

export interface XmlLimits {
  /** Deepest element nesting accepted (default 256). */
  maxDepth?: number;
}

// Null prototype: a prefix such as `constructor` must not resolve to an inherited property.
const BASE_SCOPE: NamespaceScope = Object.freeze(Object.assign(Object.create(null) as Record<string, string>, { xml: XML_NS }));
const NC = '[A-Za-z_\\u00C0-\\uFFFF][\\w.\\-\\u00B7\\u00C0-\\uFFFF]*';
const QNAME = new RegExp(`(${NC})(?::(${NC}))?`, 'y');
// eslint-disable-next-line no-control-regex
const FORBIDDEN_CHARS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/;

/** 1-based line and column of an offset, for error messages that point at a place, not at content. */
export function lineColumn(source: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let k = source.indexOf('\n'); k !== -1 && k < offset; k = source.indexOf('\n', k + 1)) {
    line++;
    lineStart = k + 1;
  }
  return { line, column: offset - lineStart + 1 };
}

function fail(source: string, offset: number, rule: string, what: string): never {
  const { line, column } = lineColumn(source, offset);
  throw new WireFormatError(rule, `malformed XML at line ${line}, column ${column}: ${what}`);
}

const isWs = (c: number): boolean => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;

function isXmlChar(cp: number): boolean {
  return (
    cp === 0x9 || cp === 0xa || cp === 0xd || (cp >= 0x20 && cp <= 0xd7ff) || (cp >= 0xe000 && cp <= 0xfffd) ||
    (cp >= 0x10000 && cp <= 0x10ffff)
  );
}

function decodeEntities(source: string, raw: string, offset: number): string {
  let k = raw.indexOf('&');
  if (k === -1) return raw;
  let out = '';
  let last = 0;
  while (k !== -1) {
    const semi = raw.indexOf(';', k + 1);
    if (semi === -1 || semi - k > 12) fail(source, offset + k, 'entity.malformed', 'a bare "&" or an unterminated reference');
    const name = raw.slice(k + 1, semi);
    let ch: string;
    switch (name) {
      case 'lt': ch = '<'; break;
      case 'gt': ch = '>'; break;
      case 'amp': ch = '&'; break;
      case 'quot': ch = '"'; break;
      case 'apos': ch = "'"; break;
      default: {
        const m = /^#(?:x([0-9A-Fa-f]{1,6})|([0-9]{1,7}))$/.exec(name);
        if (!m) fail(source, offset + k, 'entity.undeclared', 'a reference to an undeclared entity (only the predefined ones are accepted)');
        const cp = m[1] !== undefined ? parseInt(m[1], 16) : parseInt(m[2] ?? '', 10);
        if (!isXmlChar(cp)) fail(source, offset + k, 'char.forbidden', 'a character reference to a character XML forbids');
        ch = String.fromCodePoint(cp);
      }
    }
    out += raw.slice(last, k) + ch;
    last = semi + 1;
    k = raw.indexOf('&', last);
  }
  return out + raw.slice(last);
}

/** Parses a whole document. Throws `WireFormatError` (rule + line/column) on anything malformed or refused. */
export function parseXml(source: string, limits: XmlLimits = {}): XmlDocument {
  const maxDepth = limits.maxDepth ?? 256;
  const bad = FORBIDDEN_CHARS.exec(source);
  if (bad) fail(source, bad.index, 'char.forbidden', 'a control character XML forbids');
  const n = source.length;
  let i = source.charCodeAt(0) === 0xfeff ? 1 : 0;
  const docStart = i;
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;

  while (i < n) {
    const lt = source.indexOf('<', i);
    const textEnd = lt === -1 ? n : lt;
    if (textEnd > i) {
      const top = stack[stack.length - 1];
      if (!top) {
        for (let k = i; k < textEnd; k++) {
          if (!isWs(source.charCodeAt(k))) fail(source, k, 'text.outsideRoot', 'text outside the root element');
        }
      } else {
        let raw = source.slice(i, textEnd);
        if (raw.includes('\r')) raw = raw.replace(/\r\n?/g, '\n');
        top.text += decodeEntities(source, raw, i);
      }
    }
    if (lt === -1) break;
    i = lt;
    const c1 = source.charCodeAt(i + 1);

    if (c1 === 0x3f /* ? */) {
      const end = source.indexOf('?>', i + 2);
      if (end === -1) fail(source, i, 'pi.unterminated', 'an unterminated processing instruction');
      const target = /^[^\s?]+/.exec(source.slice(i + 2, Math.min(end, i + 40)))?.[0] ?? '';
      if (target.toLowerCase() === 'xml' && i !== docStart) {
        fail(source, i, 'xmlDecl.position', 'an XML declaration that is not at the very start');
      }
      i = end + 2;
      continue;
    }

    if (c1 === 0x21 /* ! */) {
      if (source.startsWith('<!--', i)) {
        const end = source.indexOf('-->', i + 4);
        if (end === -1) fail(source, i, 'comment.unterminated', 'an unterminated comment');
        i = end + 3;
        continue;
      }
      if (source.startsWith('<![CDATA[', i)) {
        const top = stack[stack.length - 1];
        if (!top) fail(source, i, 'text.outsideRoot', 'a CDATA section outside the root element');
        const end = source.indexOf(']]>', i + 9);
        if (end === -1) fail(source, i, 'cdata.unterminated', 'an unterminated CDATA section');
        top.text += source.slice(i + 9, end);
        i = end + 3;
        continue;
      }
      if (source.startsWith('<!DOCTYPE', i)) {
        fail(source, i, 'doctype.forbidden', 'a DOCTYPE declaration (DTDs and entity definitions are refused)');
      }
      fail(source, i, 'markup.unknown', 'an unknown markup declaration');
    }

    if (c1 === 0x2f /* / */) {
      QNAME.lastIndex = i + 2;
      const m = QNAME.exec(source);
      if (!m) fail(source, i, 'tag.name', 'a closing tag without a valid name');
      let j = QNAME.lastIndex;
      while (j < n && isWs(source.charCodeAt(j))) j++;
      if (source.charCodeAt(j) !== 0x3e) fail(source, j, 'tag.unterminated', 'a closing tag not ended by ">"');
      const top = stack.pop();
      if (!top || top.qname !== m[0]) fail(source, i, 'tag.mismatch', 'a closing tag that does not match the open element');
      top.closeStart = i;
      top.end = j + 1;
      i = j + 1;
      continue;
    }

    // Opening or empty-element tag.
    QNAME.lastIndex = i + 1;
    const m = QNAME.exec(source);
    if (!m) fail(source, i, 'tag.name', 'a "<" not followed by a valid element name');
    if (!stack.length && root) fail(source, i, 'root.multiple', 'more than one root element');
    if (stack.length >= maxDepth) fail(source, i, 'depth.limit', `elements nested deeper than ${maxDepth}`);
    const qname = m[0];
    let j = QNAME.lastIndex;
    const raws: Array<{ qname: string; prefix: string; local: string; value: string; at: number }> = [];
    let selfClosing = false;
    for (;;) {
      const wsStart = j;
      while (j < n && isWs(source.charCodeAt(j))) j++;
      if (j >= n) fail(source, i, 'tag.unterminated', 'the document ends inside a tag (truncated?)');
      const c = source.charCodeAt(j);
      if (c === 0x3e) {
        j++;
        break;
      }
      if (c === 0x2f && source.charCodeAt(j + 1) === 0x3e) {
        j += 2;
        selfClosing = true;
        break;
      }
      if (j === wsStart) fail(source, j, 'attribute.separator', 'attributes not separated by whitespace');
      QNAME.lastIndex = j;
      const am = QNAME.exec(source);
      if (!am) fail(source, j, 'attribute.name', 'an invalid attribute name');
      const at = j;
      j = QNAME.lastIndex;
      while (j < n && isWs(source.charCodeAt(j))) j++;
      if (source.charCodeAt(j) !== 0x3d) fail(source, j, 'attribute.equals', 'an attribute without "="');
      j++;
      while (j < n && isWs(source.charCodeAt(j))) j++;
      const q = source[j];
      if (q !== '"' && q !== "'") fail(source, j, 'attribute.quote', 'an attribute value not in quotes');
      const close = source.indexOf(q, j + 1);
      if (close === -1) fail(source, j, 'attribute.unterminated', 'an unterminated attribute value');
      const raw = source.slice(j + 1, close);
      if (raw.includes('<')) fail(source, j, 'attribute.lt', 'a "<" inside an attribute value');
      const value = decodeEntities(source, raw.replace(/\r\n|[\t\n\r]/g, ' '), j + 1);
      if (raws.some((r) => r.qname === am[0])) fail(source, at, 'attribute.duplicate', 'a duplicated attribute');
      raws.push({
        qname: am[0],
        prefix: am[2] === undefined ? '' : (am[1] ?? ''),
        local: am[2] ?? am[1] ?? '',
        value,
        at,
      });
      j = close + 1;
    }

    const parent = stack[stack.length - 1];
    const parentScope = parent ? parent.scope : BASE_SCOPE;
    const declarations: Array<[string, string]> = [];
    for (const r of raws) {
      if (r.qname === 'xmlns') declarations.push(['', r.value]);
      else if (r.prefix === 'xmlns') {
        if (r.value === '') fail(source, r.at, 'namespace.empty', 'a prefix bound to an empty namespace');
        declarations.push([r.local, r.value]);
      }
    }
    // Most elements declare nothing: they share their parent's scope instead of chaining a new one.
    let scope = parentScope as Record<string, string>;
    if (declarations.length) {
      scope = Object.create(parentScope) as Record<string, string>;
      for (const [p, uri] of declarations) scope[p] = uri;
    }
    const attributes: XmlAttribute[] = [];
    for (const r of raws) {
      if (r.qname === 'xmlns' || r.prefix === 'xmlns') continue;
      let ns = '';
      if (r.prefix) {
        const uri = scope[r.prefix];
        if (uri === undefined) fail(source, r.at, 'namespace.undeclared', 'an attribute with an undeclared prefix');
        ns = uri;
      }
      attributes.push({ qname: r.qname, prefix: r.prefix, local: r.local, ns, value: r.value });
    }
    const prefix = m[2] === undefined ? '' : (m[1] ?? '');
    const local = m[2] ?? m[1] ?? '';
    const ns = prefix ? scope[prefix] : (scope[''] ?? '');
    if (ns === undefined) fail(source, i, 'namespace.undeclared', 'an element with an undeclared prefix');
    const el: XmlElement = {
      qname,
      prefix,
      local,
      ns,
      attributes,
      declarations,
      scope,
      parent,
      children: [],
      text: '',
      start: i,
      openEnd: j,
      closeStart: j,
      end: j,
      selfClosing,
    };
    if (parent) parent.children.push(el);
    else root = el;
    if (!selfClosing) stack.push(el);
    i = j;
  }

  if (stack.length) fail(source, n, 'element.unclosed', 'the document ends inside an element (truncated?)');
  if (!root) fail(source, n, 'document.empty', 'no root element');
  return { source, root };
}

/** Element children, optionally only those with a given namespace and local name. */
export function childElements(el: XmlElement, ns?: string, local?: string): XmlElement[] {
  return el.children.filter((c) => (ns === undefined || c.ns === ns) && (local === undefined || c.local === local));
}

/** First element child with that namespace and local name. */
export function childElement(el: XmlElement, ns: string, local: string): XmlElement | undefined {
  return el.children.find((c) => c.ns === ns && c.local === local);
}

/** The attribute with that namespace ('' for unprefixed) and local name. */
export function attributeValue(el: XmlElement, ns: string, local: string): string | undefined {
  return el.attributes.find((a) => a.ns === ns && a.local === local)?.value;
}

/** Depth-first search (document order) for the first element whose local name is one of `locals`. */
export function findFirst(el: XmlElement, locals: readonly string[]): XmlElement | undefined {
  const todo: XmlElement[] = [el];
  while (todo.length) {
    const cur = todo.pop() as XmlElement;
    if (locals.includes(cur.local)) return cur;
    for (let k = cur.children.length - 1; k >= 0; k--) todo.push(cur.children[k] as XmlElement);
  }
  return undefined;
}

/** Escapes character data; CR becomes `&#13;` so that it survives line-end normalisation. */
export function escapeXmlText(s: string): string {
  return s.replace(/[&<>\r]/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : '&#13;'));
}

export function escapeXmlAttribute(s: string): string {
  return s.replace(/[&<>"\t\n\r]/g, (c) =>
    c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '"' ? '&quot;' : `&#${c.charCodeAt(0)};`,
  );
}

/** True when `s` holds only characters XML 1.0 allows. */
export function isXmlSafe(s: string): boolean {
  return !FORBIDDEN_CHARS.test(s);
}

/**
 * The source text of `el`, standalone: the namespace declarations it inherits from its ancestors and
 * that it or its descendants use are added to its opening tag, so the codec can parse it on its own.
 */
export function standaloneSource(doc: XmlDocument, el: XmlElement): string {
  const raw = doc.source.slice(el.start, el.end);
  const used = new Set<string>();
  const todo: XmlElement[] = [el];
  while (todo.length) {
    const cur = todo.pop() as XmlElement;
    used.add(cur.prefix);
    for (const a of cur.attributes) if (a.prefix) used.add(a.prefix);
    for (const c of cur.children) todo.push(c);
  }
  const own = new Set(el.declarations.map(([p]) => p));
  let decls = '';
  for (const prefix of [...used].sort()) {
    if (prefix === 'xml' || own.has(prefix)) continue;
    const uri = el.scope[prefix];
    if (uri === undefined || (prefix === '' && uri === '')) continue;
    decls += prefix ? ` xmlns:${prefix}="${escapeXmlAttribute(uri)}"` : ` xmlns="${escapeXmlAttribute(uri)}"`;
  }
  if (!decls) return raw;
  const cut = 1 + el.qname.length;
  return raw.slice(0, cut) + decls + raw.slice(cut);
}
