/**
 * A single-pass, chunk-by-chunk scanner of `interfaceNuu` documents: it checks well-formedness (tag
 * balance and names, attribute syntax, one root, no DTD, no character XML 1.0 forbids, depth and size
 * limits, UTF-8 declaration) and cuts out each demand (`demandeLogement` element) as a string fragment
 * that fast-xml-parser can parse alone. Memory stays bounded by the largest demand plus one chunk,
 * whatever the file size.
 *
 * It is both the streaming splitter and the well-formedness pre-check of the in-memory parse: one
 * scanner, 2.5-3.5x faster than fast-xml-parser's `XMLValidator` (bench/codec.ts), whose parser accepts
 * mismatched or unclosed tags silently (a truncated file would lose data).
 * Entity references are checked by the strict decoder when fragments are parsed.
 */
import type { Issue } from '../errors';
import { CodecError, CodecErrorCode, malformedAt, type Position } from './errors';
import type { DispatchForm } from './types';
import { codePointName, findForbiddenChar, strictEntityDecoder } from './xmltext';

/** Wire names (no prefix) of the four elements that frame the demands. */
export interface StructureNames {
  root: string;
  entete: string;
  demande: string;
  demandeLogement: string;
}

export interface SplitterLimits {
  maxDepth: number;
  /** Longest demand, or any single construct, buffered (characters). */
  maxFragmentLength: number;
  /**
   * Copy each fragment out of the chunk it was cut from (default true), so that a consumer keeping it
   * does not keep the chunk. Off when the whole document is in memory anyway.
   */
  detach?: boolean;
}

/** A demand cut out of the document. */
export interface RawFragment {
  index: number;
  xml: string;
  line: number;
  column: number;
}

const NAME = /^[A-Za-z_\u00C0-\uFFFF][\w.\-\u00B7\u00C0-\uFFFF]*(?::[A-Za-z_\u00C0-\uFFFF][\w.\-\u00B7\u00C0-\uFFFF]*)?$/;
const ATTRS = /^(?:\s+[A-Za-z_:\u00C0-\uFFFF][\w.:\-\u00B7\u00C0-\uFFFF]*\s*=\s*(?:"[^"<]*"|'[^'<]*'))*\s*$/;
const ATTR = /([^\s=]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g;
const NOT_SPACE = /\S/;

function localName(name: string): string {
  const colon = name.indexOf(':');
  return colon === -1 ? name : name.slice(colon + 1);
}

/** Forces a copy, so that a fragment does not keep the whole chunk it was sliced from alive. */
function detach(s: string): string {
  return (' ' + s).slice(1);
}

interface Capture {
  kind: 'entete' | 'demandeLogement';
  /** Stack depth of the captured element's parent. */
  depth: number;
  /** Index in `buf`. */
  start: number;
  line: number;
  column: number;
}

export class InterfaceNuuSplitter {
  versionInterface: string | undefined;
  readonly namespaces: Record<string, string> = {};
  /** The `entete` element as written, once seen. */
  enteteXml: string | undefined;
  enteteAt: Position | undefined;
  /** Decided by the first `demande` element that shows it; `undefined` until then. */
  form: DispatchForm | undefined;
  readonly problems: Issue[] = [];

  private ready: Array<RawFragment & { form: DispatchForm }> = [];
  private pending: RawFragment[] = [];
  private buf = '';
  private pos = 0;
  private base = 0;
  private line = 1;
  private lineStartAbs = 0;
  private countedTo = 0;
  /** Absolute offset up to which no character XML forbids was found. */
  private charsCheckedTo = 0;
  private readonly stack: string[] = [];
  private rootSeen = false;
  private capture: Capture | undefined;
  private demandeCount = 0;
  private inDemande = false;
  private dlInDemande = 0;
  private index = 0;
  private mixedReported = false;
  private textReported = false;
  private readonly reported = new Set<string>();
  private readonly validNames = new Set<string>();
  private ended = false;

  constructor(
    private readonly names: StructureNames,
    private readonly limits: SplitterLimits,
  ) {}

  /** Characters held: the unfinished demand or construct, and what was written since the last scan. */
  get buffered(): number {
    return this.buf.length;
  }

  /** Adds text and scans as far as it can; fragments completed so far go to `take()`. */
  write(text: string): void {
    if (this.ended) throw new Error('splitter already ended');
    // Never drop what the character check has not seen: a high surrogate ending a chunk waits for its pair.
    const keep = Math.min(this.capture ? Math.min(this.pos, this.capture.start) : this.pos, this.charsCheckedTo - this.base);
    if (keep > 0) {
      this.posAt(this.base + keep);
      this.buf = this.buf.slice(keep);
      this.base += keep;
      this.pos -= keep;
      if (this.capture) this.capture.start -= keep;
    }
    this.buf += text;
    this.scan();
  }

  /** The input is complete: checks that the document is. */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    const bad = this.forbiddenChar();
    if (bad !== -1) throw this.forbidden(bad);
    if (this.pos < this.buf.length) throw malformedAt(this.posAt(this.base + this.pos), 'unterminated markup');
    const endPos = this.posAt(this.base + this.buf.length);
    if (!this.rootSeen) throw malformedAt(endPos, 'no root element');
    if (this.stack.length) throw malformedAt(endPos, 'an element is not closed (truncated document?)');
    if (this.form === undefined) this.decide('demande');
  }

  /** The fragments ready since the last call, in document order. */
  take(): Array<RawFragment & { form: DispatchForm }> {
    const out = this.ready;
    this.ready = [];
    return out;
  }

  // ---- scanning ------------------------------------------------------------------------------------

  private scan(): void {
    const buf = this.buf;
    const len = buf.length;
    // Found up front in one pass (text inside a demand is not otherwise looked at), reported when the
    // scan reaches it, so that an earlier fault is still reported first.
    const bad = this.forbiddenChar();
    // Text may run to the end, except a high surrogate waiting for its pair.
    const textEnd = bad === -1 ? this.charsCheckedTo - this.base : len;
    let pos = this.pos;
    while (bad === -1 || pos <= bad) {
      const lt = buf.indexOf('<', pos);
      const end = lt === -1 ? textEnd : lt;
      if (bad !== -1 && bad < end) break;
      if (end > pos) this.text(pos, end);
      if (lt === -1) {
        pos = end;
        break;
      }
      pos = lt;
      if (lt + 1 >= len) break;
      const c1 = buf.charCodeAt(lt + 1);
      const next =
        c1 === 47 /* / */ ? this.closeTag(lt) : c1 === 33 /* ! */ ? this.bang(lt) : c1 === 63 /* ? */ ? this.pi(lt) : this.openTag(lt);
      if (next === -1) {
        if (len - lt > this.limits.maxFragmentLength) throw this.tooLarge(lt);
        break;
      }
      pos = next;
      if (this.capture && pos - this.capture.start > this.limits.maxFragmentLength) throw this.tooLarge(this.capture.start);
    }
    // In a text run, in a construct just read, or in the unfinished one at the end (which holds it whatever follows).
    if (bad !== -1) throw this.forbidden(bad);
    this.pos = pos;
  }

  /** Index in `buf` of the first character XML forbids not reported yet, or -1; remembers how far it looked. */
  private forbiddenChar(): number {
    const buf = this.buf;
    const bad = findForbiddenChar(buf, this.charsCheckedTo - this.base);
    if (bad === -1) {
      this.charsCheckedTo = this.base + buf.length;
      return -1;
    }
    const c = buf.charCodeAt(bad);
    if (bad === buf.length - 1 && c >= 0xd800 && c <= 0xdbff && !this.ended) {
      // A high surrogate ending the chunk: its low half may start the next one.
      this.charsCheckedTo = this.base + bad;
      return -1;
    }
    return bad;
  }

  private forbidden(at: number): CodecError {
    return malformedAt(this.posAt(this.base + at), `character ${codePointName(this.buf.charCodeAt(at))} is not allowed in XML`);
  }

  private text(from: number, to: number): void {
    const depth = this.stack.length;
    if (depth > 2 || this.capture) return;
    if (!NOT_SPACE.test(this.buf.slice(from, to))) return;
    if (depth === 0) throw malformedAt(this.posAt(this.base + from), 'text outside the root element');
    this.textProblem();
  }

  private textProblem(): void {
    if (this.textReported) return;
    this.textReported = true;
    this.problems.push({ path: '(document)', rule: 'unexpected-text', message: 'text found between the structural elements; ignored' });
  }

  private openTag(lt: number): number {
    const buf = this.buf;
    const len = buf.length;
    let i = lt + 1;
    for (; i < len; i++) {
      const c = buf.charCodeAt(i);
      if (c === 32 || c === 10 || c === 9 || c === 13 || c === 47 || c === 62) break;
    }
    let j = i;
    let quote = 0;
    for (; j < len; j++) {
      const c = buf.charCodeAt(j);
      if (quote) {
        if (c === quote) quote = 0;
      } else if (c === 34 || c === 39) quote = c;
      else if (c === 62 /* > */) break;
      else if (c === 60 /* < */) throw malformedAt(this.posAt(this.base + j), "'<' inside a tag");
    }
    if (j >= len) return -1;
    const name = buf.slice(lt + 1, i);
    if (!this.validNames.has(name)) {
      if (!NAME.test(name)) throw malformedAt(this.posAt(this.base + lt), 'invalid element name');
      // A document uses few names: remember them (bounded, against a file of endless distinct names).
      if (this.validNames.size < 2000) this.validNames.add(name);
    }
    const selfClosing = j - 1 >= i && buf.charCodeAt(j - 1) === 47;
    const attrs = i < j ? buf.slice(i, selfClosing ? j - 1 : j) : '';
    if (attrs && NOT_SPACE.test(attrs)) this.checkAttributes(attrs, lt);

    const depth = this.stack.length;
    if (depth === 0) this.openRoot(name, attrs, lt);
    else if (!this.capture && depth <= 2) this.openStructural(name, depth, lt, selfClosing, j);

    if (!selfClosing) {
      this.stack.push(name);
      if (this.stack.length > this.limits.maxDepth) {
        const at = this.posAt(this.base + lt);
        throw new CodecError(
          CodecErrorCode.tooDeep,
          `XML nests elements deeper than ${this.limits.maxDepth} levels at line ${at.line}, column ${at.column}`,
          { line: at.line, column: at.column, maxDepth: this.limits.maxDepth },
        );
      }
    }
    return j + 1;
  }

  private checkAttributes(attrs: string, lt: number): void {
    if (!ATTRS.test(attrs)) throw malformedAt(this.posAt(this.base + lt), 'invalid attribute syntax');
    if (attrs.indexOf('=') === attrs.lastIndexOf('=')) return;
    const seen = new Set<string>();
    for (const m of attrs.matchAll(ATTR)) {
      if (seen.has(m[1]!)) throw malformedAt(this.posAt(this.base + lt), 'repeated attribute');
      seen.add(m[1]!);
    }
  }

  private openRoot(name: string, attrs: string, lt: number): void {
    if (this.rootSeen) throw malformedAt(this.posAt(this.base + lt), 'more than one root element');
    this.rootSeen = true;
    if (localName(name) !== this.names.root) {
      throw new CodecError(CodecErrorCode.notInterfaceNuu, `the root element is not ${this.names.root}`);
    }
    for (const m of attrs.matchAll(ATTR)) {
      const attr = m[1]!;
      let value: string;
      try {
        value = strictEntityDecoder.decode(m[2] ?? m[3] ?? '');
      } catch {
        throw malformedAt(this.posAt(this.base + lt), 'bad reference in an attribute value');
      }
      if (attr === 'xmlns' || attr.startsWith('xmlns:')) this.namespaces[attr] = value;
      else if (localName(attr) === 'versionInterface') this.versionInterface = value;
    }
  }

  /** Children of the root and of `demande`: where the demands are found. */
  private openStructural(name: string, depth: number, lt: number, selfClosing: boolean, gt: number): void {
    const local = localName(name);
    if (depth === 1) {
      if (local === this.names.entete) {
        if (this.enteteXml !== undefined) {
          this.problem('repeated-element', `element <${local}> appears more than once; the first one is used`);
          return;
        }
        if (this.index > 0) this.problem('element-order', `element <${local}> comes after the demands`);
        this.startCapture('entete', lt, selfClosing, gt);
      } else if (local === this.names.demande) {
        this.demandeCount++;
        this.inDemande = true;
        this.dlInDemande = 0;
        if (this.demandeCount > 1 && this.form === 'demandeLogement') this.mixed();
        if (selfClosing) this.closeDemande();
      } else {
        this.unknown(this.names.root, local);
      }
      return;
    }
    // depth 2: inside a child of the root
    const parent = localName(this.stack[1]!);
    if (parent !== this.names.demande) return;
    if (local !== this.names.demandeLogement) {
      this.unknown(this.names.demande, local);
      return;
    }
    this.dlInDemande++;
    if (this.dlInDemande === 2) {
      if (this.form === undefined) this.decide('demandeLogement');
      else if (this.form === 'demande') this.mixed();
    }
    this.startCapture('demandeLogement', lt, selfClosing, gt);
  }

  private startCapture(kind: Capture['kind'], lt: number, selfClosing: boolean, gt: number): void {
    const at = this.posAt(this.base + lt);
    const capture: Capture = { kind, depth: this.stack.length, start: lt, line: at.line, column: at.column };
    if (selfClosing) this.finishCapture(capture, gt);
    else this.capture = capture;
  }

  private finishCapture(capture: Capture, gt: number): void {
    const slice = this.buf.slice(capture.start, gt + 1);
    const xml = this.limits.detach === false ? slice : detach(slice);
    if (capture.kind === 'entete') {
      this.enteteXml = xml;
      this.enteteAt = { line: capture.line, column: capture.column };
      return;
    }
    const fragment: RawFragment = { index: this.index++, xml, line: capture.line, column: capture.column };
    if (this.form === undefined) this.pending.push(fragment);
    else this.ready.push({ ...fragment, form: this.form });
  }

  private closeTag(lt: number): number {
    const buf = this.buf;
    const gt = buf.indexOf('>', lt + 2);
    if (gt === -1) return -1;
    const open = this.stack.pop();
    if (open === undefined) throw malformedAt(this.posAt(this.base + lt), 'closing tag without an open element');
    // Compared in place (no slice): `</name>` or `</name  >`.
    const after = lt + 2 + open.length;
    if (!buf.startsWith(open, lt + 2) || (after !== gt && NOT_SPACE.test(buf.slice(after, gt)))) {
      throw malformedAt(this.posAt(this.base + lt), 'closing tag does not match the open element');
    }
    const depth = this.stack.length;
    if (this.capture && depth === this.capture.depth) {
      const capture = this.capture;
      this.capture = undefined;
      this.finishCapture(capture, gt);
    } else if (!this.capture && depth === 1 && this.inDemande && localName(open) === this.names.demande) {
      this.closeDemande();
    }
    return gt + 1;
  }

  private closeDemande(): void {
    this.inDemande = false;
    if (this.form === undefined && this.dlInDemande === 1) this.decide('demande');
  }

  private bang(lt: number): number {
    const buf = this.buf;
    if (buf.startsWith('<!--', lt)) {
      const end = buf.indexOf('-->', lt + 4);
      return end === -1 ? -1 : end + 3;
    }
    if (buf.startsWith('<![CDATA[', lt)) {
      if (this.stack.length === 0) throw malformedAt(this.posAt(this.base + lt), 'CDATA outside the root element');
      const end = buf.indexOf(']]>', lt + 9);
      if (end === -1) return -1;
      if (!this.capture && this.stack.length <= 2 && NOT_SPACE.test(buf.slice(lt + 9, end))) this.textProblem();
      return end + 3;
    }
    // Too short to tell a CDATA section from a DOCTYPE: wait for more (the end reports unterminated markup).
    if (buf.length - lt < 9) return -1;
    const head = buf.slice(lt, lt + 9).toUpperCase();
    if (head.startsWith('<!DOCTYPE') || head.startsWith('<!ENTITY')) {
      const at = this.posAt(this.base + lt);
      throw new CodecError(
        CodecErrorCode.dtdForbidden,
        `XML declares a DTD or an entity at line ${at.line}, column ${at.column}: refused (no DTD, no entity expansion)`,
        { line: at.line, column: at.column },
      );
    }
    throw malformedAt(this.posAt(this.base + lt), 'markup declaration not allowed');
  }

  private pi(lt: number): number {
    const end = this.buf.indexOf('?>', lt + 2);
    if (end === -1) return -1;
    const body = this.buf.slice(lt + 2, end);
    const target = /^[^\s?]*/.exec(body)![0];
    if (target.toLowerCase() === 'xml') {
      if (this.base + lt !== 0) throw malformedAt(this.posAt(this.base + lt), 'XML declaration not at the start of the document');
      const enc = /\sencoding\s*=\s*["']([^"']*)["']/.exec(body);
      if (enc && !/^utf-?8$/i.test(enc[1]!)) {
        throw new CodecError(CodecErrorCode.encoding, 'the document declares an encoding other than UTF-8; files must be UTF-8');
      }
    }
    return end + 2;
  }

  // ---- bookkeeping ---------------------------------------------------------------------------------

  private decide(form: DispatchForm): void {
    this.form = form;
    for (const f of this.pending) this.ready.push({ ...f, form });
    this.pending = [];
  }

  private mixed(): void {
    if (this.mixedReported) return;
    this.mixedReported = true;
    this.problem('mixed-form', 'demands are repeated both as demande and as demandeLogement elements; the first form is kept');
  }

  private unknown(parent: string, local: string): void {
    const key = `${parent}/${local}`;
    if (this.reported.has(key)) return;
    this.reported.add(key);
    this.problem('unknown-element', `element <${local}> under <${parent}> is not part of the skeleton; ignored`);
  }

  private problem(rule: string, message: string): void {
    this.problems.push({ path: '(document)', rule, message });
  }

  private tooLarge(at: number): CodecError {
    const pos = this.posAt(this.base + at);
    return new CodecError(
      CodecErrorCode.tooLarge,
      `a demand or construct starting at line ${pos.line}, column ${pos.column} is longer than ${this.limits.maxFragmentLength} characters`,
      { line: pos.line, column: pos.column, maxFragmentLength: this.limits.maxFragmentLength },
    );
  }

  /** Line and column of an absolute offset; counts newlines incrementally (offsets only grow). */
  private posAt(abs: number): Position {
    if (abs > this.countedTo) {
      const end = abs - this.base;
      let i = this.buf.indexOf('\n', this.countedTo - this.base);
      while (i !== -1 && i < end) {
        this.line++;
        this.lineStartAbs = this.base + i + 1;
        i = this.buf.indexOf('\n', i + 1);
      }
      this.countedTo = abs;
    } else if (abs < this.countedTo) {
      // An earlier offset (still in the buffer): count back.
      let line = this.line;
      for (let i = this.countedTo - this.base - 1; i >= abs - this.base; i--) if (this.buf.charCodeAt(i) === 10) line--;
      const nl = this.buf.lastIndexOf('\n', abs - this.base - 1);
      const start = nl === -1 ? (line === this.line ? this.lineStartAbs : this.base) : this.base + nl + 1;
      return { line, column: abs - start + 1 };
    }
    return { line: this.line, column: abs - this.lineStartAbs + 1 };
  }
}
