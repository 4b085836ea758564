/**
 * The tree of one demand fragment, in one pass. It builds exactly the tree fast-xml-parser builds with
 * the codec's options (`@_` attributes, `#text`, values kept as strings and trimmed, namespace prefixes
 * removed, `xmlns` attributes dropped, item elements always in arrays, a repeated element turned into
 * an array), which `read.ts` consumes and a differential test checks. Why not fast-xml-parser itself:
 * parsing was two thirds of a pull's CPU (bench/pull.ts, perf-notes.md), and a parser that knows the
 * fragment is small and its names repeat is several times faster. It is also stricter: mismatched end
 * tags, duplicate attributes, unquoted values and stray text outside the root are errors, with the
 * offset of the fault.
 */
import { codePointName, findBadReference, findForbiddenChar, strictEntityDecoder } from './xmltext';

/** A node as fast-xml-parser gives it: attributes `@_name`, text `#text`, children by local name. */
export type XNode = Record<string, unknown>;

/** A syntax error with the offset of the fault in the fragment (no quoted content). */
export class FragmentSyntaxError extends Error {
  constructor(
    readonly at: number,
    readonly reason: string,
  ) {
    super(reason);
    this.name = 'FragmentSyntaxError';
  }
}

export interface FragmentParserOptions {
  /** Local names of the elements that are always lists (fast-xml-parser's `isArray`). */
  items: ReadonlySet<string>;
  /** Deepest nesting allowed. */
  maxDepth: number;
}

interface Frame {
  name: string;
  local: string;
  /** The element as an object, once it has an attribute or a child. */
  node: XNode | undefined;
  text: string;
  /**
   * Character data not yet added to `text`: like fast-xml-parser, text on both sides of a comment is one
   * run, trimmed and decoded once, at the next tag, CDATA section or processing instruction.
   */
  pending: string;
  pendingAt: number;
}

const GT = 62; // >
const SLASH = 47; // /
const BANG = 33; // !
const QMARK = 63; // ?
const EQ = 61; // =
const QUOT = 34; // "
const APOS = 39; // '

function isSpace(c: number): boolean {
  return c === 32 || c === 10 || c === 9 || c === 13;
}

const NAME = /^[A-Za-z_\u00C0-\uFFFF][\w.\-\u00B7-\uFFFF]*(?::[A-Za-z_\u00C0-\uFFFF][\w.\-:\u00B7-\uFFFF]*)?$/;

/** Parses fragments; keeps a cache of the names it has checked (they repeat from one demand to the next). */
export class FragmentTreeParser {
  private readonly names = new Map<string, string>();

  constructor(private readonly options: FragmentParserOptions) {}

  /** The tree of `xml` (one root element), or a `FragmentSyntaxError`. */
  parse(input: string): XNode {
    // Line ends normalised as XML (and fast-xml-parser) do, before anything else.
    const xml = input.indexOf('\r') === -1 ? input : input.replace(/\r\n?/g, '\n');
    const bad = findForbiddenChar(xml);
    if (bad !== -1) throw new FragmentSyntaxError(bad, `character ${codePointName(xml.codePointAt(bad) ?? 0)} is not allowed in XML`);
    const { items, maxDepth } = this.options;
    const root: XNode = {};
    const stack: Frame[] = [];
    let rootDone = false;
    let i = 0;
    const n = xml.length;
    while (i < n) {
      const lt = xml.indexOf('<', i);
      const textEnd = lt === -1 ? n : lt;
      if (textEnd > i) text(xml, i, textEnd, stack);
      if (lt === -1) break;
      const c = xml.charCodeAt(lt + 1);
      if (c === BANG) {
        if (xml.startsWith('<!--', lt)) {
          const end = xml.indexOf('-->', lt + 4);
          if (end === -1) throw new FragmentSyntaxError(lt, 'unterminated comment');
          i = end + 3;
        } else if (xml.startsWith('<![CDATA[', lt)) {
          const end = xml.indexOf(']]>', lt + 9);
          if (end === -1) throw new FragmentSyntaxError(lt, 'unterminated CDATA section');
          const top = stack[stack.length - 1];
          if (!top) throw new FragmentSyntaxError(lt, 'CDATA outside the root element');
          flush(top);
          top.text += xml.slice(lt + 9, end);
          i = end + 3;
        } else {
          throw new FragmentSyntaxError(lt, 'markup declarations (DTD, entities) are not allowed');
        }
        continue;
      }
      if (c === QMARK) {
        const end = xml.indexOf('?>', lt + 2);
        if (end === -1) throw new FragmentSyntaxError(lt, 'unterminated processing instruction');
        const top = stack[stack.length - 1];
        if (top) flush(top);
        i = end + 2;
        continue;
      }
      if (c === SLASH) {
        const gt = xml.indexOf('>', lt + 2);
        if (gt === -1) throw new FragmentSyntaxError(lt, 'unterminated end tag');
        let nameEnd = gt;
        while (nameEnd > lt + 2 && isSpace(xml.charCodeAt(nameEnd - 1))) nameEnd--;
        const raw = xml.slice(lt + 2, nameEnd);
        const top = stack.pop();
        if (!top || top.name !== raw) throw new FragmentSyntaxError(lt, top ? 'end tag does not match the open element' : 'end tag without an open element');
        flush(top);
        this.close(top, stack, root, items);
        if (stack.length === 0) rootDone = true;
        i = gt + 1;
        continue;
      }
      // A start tag.
      if (rootDone) throw new FragmentSyntaxError(lt, 'content after the root element');
      const parent = stack[stack.length - 1];
      if (parent) flush(parent);
      let j = lt + 1;
      while (j < n) {
        const d = xml.charCodeAt(j);
        if (isSpace(d) || d === GT || d === SLASH) break;
        j++;
      }
      const raw = xml.slice(lt + 1, j);
      const local = this.localName(raw, lt);
      const frame: Frame = { name: raw, local, node: undefined, text: '', pending: '', pendingAt: 0 };
      let attrNames: string[] | undefined;
      if (stack.length >= maxDepth) throw new FragmentSyntaxError(lt, `elements nested deeper than ${maxDepth} levels`);
      // Attributes.
      for (;;) {
        while (j < n && isSpace(xml.charCodeAt(j))) j++;
        if (j >= n) throw new FragmentSyntaxError(lt, 'unterminated start tag');
        const d = xml.charCodeAt(j);
        if (d === GT || d === SLASH) break;
        const nameStart = j;
        while (j < n) {
          const e = xml.charCodeAt(j);
          if (e === EQ || isSpace(e) || e === GT || e === SLASH) break;
          j++;
        }
        const attrName = xml.slice(nameStart, j);
        while (j < n && isSpace(xml.charCodeAt(j))) j++;
        if (xml.charCodeAt(j) !== EQ) throw new FragmentSyntaxError(nameStart, 'an attribute needs a value (name="value")');
        j++;
        while (j < n && isSpace(xml.charCodeAt(j))) j++;
        const q = xml.charCodeAt(j);
        if (q !== QUOT && q !== APOS) throw new FragmentSyntaxError(j, 'an attribute value must be quoted');
        const close = xml.indexOf(q === QUOT ? '"' : "'", j + 1);
        if (close === -1) throw new FragmentSyntaxError(j, 'unterminated attribute value');
        const value = xml.slice(j + 1, close);
        if (value.indexOf('<') !== -1) throw new FragmentSyntaxError(j, "'<' is not allowed in an attribute value");
        const valueAt = j + 1;
        j = close + 1;
        const after = xml.charCodeAt(j);
        if (j < n && !isSpace(after) && after !== GT && after !== SLASH) throw new FragmentSyntaxError(j, 'attributes must be separated by white space');
        // The same name twice is an error; two prefixes on one local name are not (the last one wins).
        attrNames ??= [];
        if (attrNames.includes(attrName)) throw new FragmentSyntaxError(nameStart, 'an attribute appears twice on one element');
        attrNames.push(attrName);
        const attrLocal = this.localName(attrName, nameStart);
        // fast-xml-parser drops namespace declarations when it removes prefixes.
        if (attrName === 'xmlns' || attrName.startsWith('xmlns:')) continue;
        const key = `@_${attrLocal}`;
        const node = (frame.node ??= {});
        node[key] = decode(value.trim(), valueAt + value.length - value.trimStart().length);
      }
      if (xml.charCodeAt(j) === SLASH) {
        if (xml.charCodeAt(j + 1) !== GT) throw new FragmentSyntaxError(j, "'/' must end an empty-element tag");
        this.close(frame, stack, root, items);
        if (stack.length === 0) rootDone = true;
        i = j + 2;
      } else {
        stack.push(frame);
        i = j + 1;
      }
    }
    if (stack.length > 0) throw new FragmentSyntaxError(n, 'the root element is not closed');
    if (!rootDone) throw new FragmentSyntaxError(0, 'no root element');
    return root;
  }

  /** Ends an element: its value goes into its parent (or the root). */
  private close(frame: Frame, stack: Frame[], root: XNode, items: ReadonlySet<string>): void {
    const local = frame.local;
    let value: unknown;
    if (frame.node) {
      if (frame.text !== '') frame.node['#text'] = frame.text;
      value = frame.node;
    } else {
      value = frame.text;
    }
    const parent = stack[stack.length - 1];
    const target = parent ? (parent.node ??= {}) : root;
    if (items.has(local)) {
      const list = target[local];
      if (Array.isArray(list)) list.push(value);
      else target[local] = [value];
    } else if (Object.hasOwn(target, local)) {
      // Values are strings or objects, so an array here is one this branch made.
      const prev = target[local];
      if (Array.isArray(prev)) prev.push(value);
      else target[local] = [prev, value];
    } else {
      target[local] = value;
    }
  }

  /** The name without its prefix, checked once per distinct name. */
  private localName(raw: string, at: number): string {
    const known = this.names.get(raw);
    if (known !== undefined) return known;
    if (!NAME.test(raw)) throw new FragmentSyntaxError(at, 'not a valid XML name');
    const colon = raw.indexOf(':');
    const local = colon === -1 ? raw : raw.slice(colon + 1);
    if (local === '__proto__') throw new FragmentSyntaxError(at, 'reserved name');
    // Bounded in count and size, and copies: a slice of the fragment would keep all of it in memory.
    if (this.names.size < 10_000 && raw.length <= 64) {
      const copy = Buffer.from(raw, 'utf8').toString('utf8');
      const colonAt = copy.indexOf(':');
      this.names.set(copy, colonAt === -1 ? copy : copy.slice(colonAt + 1));
    }
    return local;
  }
}

/** Character data between two constructs: held in its element until the next flush. */
function text(xml: string, from: number, to: number, stack: Frame[]): void {
  const top = stack[stack.length - 1];
  if (!top) {
    if (xml.slice(from, to).trim() !== '') throw new FragmentSyntaxError(from, 'text outside the root element');
    return;
  }
  if (top.pending === '') top.pendingAt = from;
  top.pending += xml.slice(from, to);
}

/** Adds an element's pending character data to its text: trimmed, checked, references decoded. */
function flush(frame: Frame): void {
  if (frame.pending === '') return;
  const segment = frame.pending;
  frame.pending = '';
  const raw = segment.trim();
  if (raw === '') return;
  const at = frame.pendingAt + segment.length - segment.trimStart().length;
  if (raw.indexOf(']]>') !== -1) throw new FragmentSyntaxError(at, "']]>' is not allowed in text");
  frame.text += decode(raw, at);
}

/** Decodes references in `s`, which starts at offset `at` of the fragment. */
function decode(s: string, at: number): string {
  if (s.indexOf('&') === -1) return s;
  try {
    return strictEntityDecoder.decode(s);
  } catch {
    const bad = findBadReference(s);
    throw new FragmentSyntaxError(at + (bad?.at ?? 0), bad?.reason ?? 'bad entity or character reference');
  }
}
