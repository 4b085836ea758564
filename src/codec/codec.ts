/**
 * The `interfaceNuu` codec: one object per configuration (element table, dialect, limits), compiled
 * once, used for whole files (`parse`), huge files (`stream`), single fragments in pull workers
 * (`parseFragment`) and writing (`build`).
 */
import { XMLParser, type X2jOptions } from 'fast-xml-parser';
import type { Readable } from 'node:stream';
import { TextDecoder } from 'node:util';
import type { Issue } from '../errors';
import { IsoDateTime, validateDemande } from '../domain';
import { writeInterfaceNuu } from './build';
import { CodecError, CodecErrorCode, malformedAt, type Position } from './errors';
import { FragmentSyntaxError, FragmentTreeParser } from './fragment';
import { readDemandeLogement, type ReadDemande } from './read';
import { compileSpec, type CompiledSpec } from './spec';
import { InterfaceNuuSplitter, type RawFragment } from './splitter';
import {
  isTypeFichier,
  type CodecOptions,
  type DemandeResult,
  type DispatchForm,
  type EnteteRead,
  type FragmentContext,
  type InterfaceNuuInput,
  type ParsedInterfaceNuu,
  type StreamItem,
} from './types';
import { EntityDecodeError, findBadReference, strictEntityDecoder } from './xmltext';

export const DEFAULT_MAX_DOCUMENT_BYTES = 64 * 1024 * 1024;
export const DEFAULT_MAX_FRAGMENT_LENGTH = 4 * 1024 * 1024;
export const DEFAULT_MAX_DEPTH = 64;
/** The data namespace of the SNE interface. */
export const SNE_NAMESPACE = 'http://nuu.application.i2/';

type XNode = Record<string, unknown>;

/** Where a fragment sits in its file, to report errors at file positions. */
export type FragmentPlace = Partial<Position> & { index?: number };

/** Source of `stream`: a readable stream, or any (async) iterable of chunks (bytes as UTF-8, or text). */
export type ByteSource = AsyncIterable<Buffer | Uint8Array | string> | Iterable<Buffer | Uint8Array | string> | Readable;

function isNode(v: unknown): v is XNode {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** True when an issue found while mapping covers one zod reports for the same (left-out) field. */
function covers(mapping: string, path: string): boolean {
  return mapping === '' || path === mapping || path.startsWith(`${mapping}.`) || path.startsWith(`${mapping}[`);
}

/** Skips comments and CDATA sections (where `&` is literal) to find the first bad reference. */
function locateBadReference(xml: string): { at: number; reason: string } | undefined {
  let i = 0;
  for (;;) {
    const comment = xml.indexOf('<!--', i);
    const cdata = xml.indexOf('<![CDATA[', i);
    const open = comment === -1 ? cdata : cdata === -1 ? comment : Math.min(comment, cdata);
    const bad = findBadReference(xml, i, open === -1 ? xml.length : open);
    if (bad || open === -1) return bad;
    const close = xml.indexOf(open === comment ? '-->' : ']]>', open);
    if (close === -1) return undefined;
    i = close + 3;
  }
}

/** Absolute position of offset `at` of a fragment that starts at `start`. */
function positionIn(xml: string, at: number, start: Position): Position {
  let line = 0;
  let lineStart = 0;
  for (let i = xml.indexOf('\n'); i !== -1 && i < at; i = xml.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return line === 0 ? { line: start.line, column: start.column + at } : { line: start.line + line, column: at - lineStart + 1 };
}

/**
 * fast-xml-parser's options for the codec's trees (the header's parser, and the reference the fragment
 * parser is tested against): attributes as `@_name`, every value a string, prefixes removed.
 */
export function xmlParserOptions(items: ReadonlySet<string>, maxDepth: number): X2jOptions {
  return {
    ignoreAttributes: false,
    attributeNamePrefix: '@_',
    // Keep every value a string: postcode 01000, phone 0612345678.
    parseTagValue: false,
    parseAttributeValue: false,
    removeNSPrefix: true,
    // Callbacks get a matcher instead of a path string built for every tag (up to 2x faster).
    jPath: false,
    isArray: (name, _path, _leaf, isAttribute) => !isAttribute && items.has(name),
    processEntities: true,
    entityDecoder: strictEntityDecoder,
    ignoreDeclaration: true,
    ignorePiTags: true,
    maxNestedTags: maxDepth,
  } as X2jOptions;
}

export class InterfaceNuuCodec {
  readonly spec: CompiledSpec;
  readonly maxDocumentBytes: number;
  readonly maxFragmentLength: number;
  readonly maxDepth: number;
  /** The header's parser (once per document). */
  private readonly parser: XMLParser;
  /** The demands' parser: the same tree, several times faster (fragment.ts). */
  private readonly fragments: FragmentTreeParser;
  private readonly numUniqueShape: boolean;
  private readonly namespace: { uri: string; prefix?: string };

  constructor(options: CodecOptions) {
    this.maxDocumentBytes = options.maxDocumentBytes ?? DEFAULT_MAX_DOCUMENT_BYTES;
    this.maxFragmentLength = options.maxFragmentLength ?? DEFAULT_MAX_FRAGMENT_LENGTH;
    this.maxDepth = options.maxDepth ?? DEFAULT_MAX_DEPTH;
    this.numUniqueShape = options.numUniqueShape ?? true;
    this.namespace = options.namespace ?? { uri: SNE_NAMESPACE };
    this.spec = compileSpec(options.elements, options.renames, options.codeTranslations, this.namespace.prefix);
    const items = this.spec.itemNames;
    this.parser = new XMLParser(xmlParserOptions(items, this.maxDepth));
    this.fragments = new FragmentTreeParser({ items, maxDepth: this.maxDepth });
  }

  /** A new splitter for this codec's names and limits (`detach: false` when the document is all in memory). */
  splitter(options: { detach?: boolean } = {}): InterfaceNuuSplitter {
    return new InterfaceNuuSplitter(this.spec.structure, {
      maxDepth: this.maxDepth,
      maxFragmentLength: this.maxFragmentLength,
      detach: options.detach ?? true,
    });
  }

  /** Parses a whole document held in memory (up to `maxDocumentBytes`). */
  parse(xml: string | Buffer): ParsedInterfaceNuu {
    const splitter = this.splitter({ detach: false });
    splitter.write(this.decode(xml));
    splitter.end();
    const fragments = splitter.take();
    const { context, problems } = this.contextOf(splitter, splitter.form ?? 'demande');
    return {
      versionInterface: context.versionInterface,
      entete: context.entete,
      form: context.form,
      demandes: fragments.map((f) => this.parseFragment(f.xml, f)),
      problems: [...problems, ...splitter.problems],
    };
  }

  /** Splits a document of any size demand by demand, with bounded memory. */
  stream(source: ByteSource): DemandeStream {
    return new DemandeStream(this, source);
  }

  /** Reads one demand without validating it (mapping issues only). Throws `CodecError` if not well-formed. */
  readFragment(xml: string, place: FragmentPlace = {}): ReadDemande {
    this.guardFragment(xml, place);
    let tree: XNode;
    try {
      tree = this.fragments.parse(xml);
    } catch (e) {
      throw this.fragmentError(e, xml, place);
    }
    const dl = this.spec.structure.demandeLogement;
    let node = tree[dl];
    if (node === undefined && isNode(tree[this.spec.structure.demande])) node = (tree[this.spec.structure.demande] as XNode)[dl];
    if (node === undefined || Array.isArray(node)) {
      return {
        input: {},
        issues: [{ path: '', rule: 'structure', message: `the fragment must be one <${dl}> element` }],
        warnings: [],
        anomalies: [],
        numUnique: undefined,
      };
    }
    return readDemandeLogement(node, this.spec);
  }

  /**
   * Parses and validates one demand fragment (a `demandeLogement` element, as `stream` yields it; a
   * `demande` holding one is accepted too). `place` (a `StreamItem` will do) gives the index of the
   * result and the file position of errors. Prefixes need no declaration: names are matched without them.
   */
  parseFragment(xml: string, place: FragmentPlace = {}): DemandeResult {
    const read = this.readFragment(xml, place);
    const index = place.index ?? 0;
    const v = validateDemande(read.input, { numUniqueShape: this.numUniqueShape });
    if (v.ok && read.issues.length === 0) {
      return { index, ok: true, demande: v.demande, warnings: [...read.warnings, ...v.warnings], anomalies: read.anomalies };
    }
    const issues = v.ok ? read.issues : [...read.issues, ...v.issues.filter((i) => !read.issues.some((m) => covers(m.path, i.path)))];
    return {
      index,
      ok: false,
      issues,
      warnings: v.ok ? [...read.warnings, ...v.warnings] : read.warnings,
      ...(read.numUnique === undefined ? {} : { numUnique: read.numUnique }),
      anomalies: read.anomalies,
    };
  }

  /** Writes a document. */
  build(input: InterfaceNuuInput): string {
    return writeInterfaceNuu(this.spec, this.namespace, input);
  }

  /** The header and context of a splitter's document, with the problems found in them. */
  contextOf(splitter: InterfaceNuuSplitter, form: DispatchForm): { context: FragmentContext; problems: Issue[] } {
    const problems: Issue[] = [];
    if (splitter.versionInterface === undefined) {
      problems.push({ path: 'versionInterface', rule: 'required', message: 'the root has no versionInterface attribute' });
    } else if (!/^\d{2}\.\d{2}$/.test(splitter.versionInterface)) {
      problems.push({ path: 'versionInterface', rule: 'format', message: 'must be written NN.NN (e.g. 02.01)' });
    }
    const entete = this.readEntete(splitter, problems);
    return {
      context: { versionInterface: splitter.versionInterface, entete, form, namespaces: { ...splitter.namespaces } },
      problems,
    };
  }

  private readEntete(splitter: InterfaceNuuSplitter, problems: Issue[]): EnteteRead {
    const xml = splitter.enteteXml;
    if (xml === undefined) {
      problems.push({ path: 'entete', rule: 'required', message: 'the document has no entete' });
      return {};
    }
    let tree: XNode;
    try {
      tree = this.parser.parse(xml) as XNode;
    } catch (e) {
      throw this.fragmentError(e, xml, splitter.enteteAt ?? {});
    }
    const node = tree[this.spec.structure.entete];
    const names = this.spec.entete;
    const entete: EnteteRead = {};
    const text = (key: 'typeFichier' | 'dateFichier', el: string): void => {
      const v = isNode(node) ? node[el] : undefined;
      const s = typeof v === 'string' ? v : isNode(v) && typeof v['#text'] === 'string' ? v['#text'] : undefined;
      if (s === undefined || s === '') {
        problems.push({ path: `entete.${key}`, rule: Array.isArray(v) ? 'repeated-element' : 'required', message: Array.isArray(v) ? 'appears more than once' : 'is missing' });
      } else {
        entete[key] = s;
      }
    };
    text('typeFichier', names.typeFichier);
    text('dateFichier', names.dateFichier);
    if (entete.typeFichier !== undefined && !isTypeFichier(entete.typeFichier)) {
      problems.push({ path: 'entete.typeFichier', rule: 'unknown-code', message: 'not one of CRE CRS MOD REN RAD SUP DIS RET COP; kept as is' });
    }
    if (entete.dateFichier !== undefined && !IsoDateTime.safeParse(entete.dateFichier).success) {
      problems.push({ path: 'entete.dateFichier', rule: 'datetime', message: 'must be an ISO 8601 date-time with offset' });
    }
    if (isNode(node)) {
      for (const k of Object.keys(node)) {
        if (!k.startsWith('@_') && !names.known.has(k)) {
          problems.push({ path: 'entete', rule: 'unknown-element', message: `element <${k}> is not part of the header; ignored` });
        }
      }
    }
    return entete;
  }

  private decode(xml: string | Buffer): string {
    const max = this.maxDocumentBytes;
    const tooLarge = (): CodecError =>
      new CodecError(CodecErrorCode.tooLarge, `document larger than ${max} bytes; stream it instead`, { maxDocumentBytes: max });
    if (typeof xml === 'string') {
      if (xml.length > max || (xml.length * 3 > max && Buffer.byteLength(xml) > max)) throw tooLarge();
      return xml.charCodeAt(0) === 0xfeff ? xml.slice(1) : xml;
    }
    if (xml.length > max) throw tooLarge();
    return decodeUtf8(new TextDecoder('utf-8', { fatal: true }), xml, false);
  }

  /**
   * Fragments normally come from the splitter, which checked them; a worker may get one from elsewhere
   * (a queue), so the cheap checks are repeated: size, and no markup declaration (DTD) at all.
   */
  private guardFragment(xml: string, place: Partial<Position>): void {
    if (xml.length > this.maxFragmentLength) {
      throw new CodecError(CodecErrorCode.tooLarge, `a demand is longer than ${this.maxFragmentLength} characters`, {
        maxFragmentLength: this.maxFragmentLength,
      });
    }
    for (let i = xml.indexOf('<!'); i !== -1; i = xml.indexOf('<!', i + 2)) {
      if (xml.startsWith('<!--', i)) {
        i = xml.indexOf('-->', i);
        if (i === -1) return;
      } else if (xml.startsWith('<![CDATA[', i)) {
        i = xml.indexOf(']]>', i);
        if (i === -1) return;
      } else {
        const at = positionIn(xml, i, { line: place.line ?? 1, column: place.column ?? 1 });
        throw new CodecError(CodecErrorCode.dtdForbidden, `XML declares a DTD or an entity at line ${at.line}, column ${at.column}: refused`, {
          line: at.line,
          column: at.column,
        });
      }
    }
  }

  private fragmentError(e: unknown, xml: string, place: Partial<Position>): CodecError {
    const start = { line: place.line ?? 1, column: place.column ?? 1 };
    if (e instanceof FragmentSyntaxError) return malformedAt(positionIn(xml, Math.min(e.at, xml.length), start), e.reason);
    if (e instanceof EntityDecodeError) {
      const bad = locateBadReference(xml);
      return malformedAt(bad ? positionIn(xml, bad.at, start) : start, bad?.reason ?? 'bad entity or character reference');
    }
    return malformedAt(start, 'the XML parser rejected this element');
  }
}

/** Decodes UTF-8 strictly: invalid byte sequences are an error, not replacement characters. */
export function decodeUtf8(decoder: TextDecoder, bytes: Uint8Array, stream: boolean): string {
  try {
    return decoder.decode(bytes, { stream });
  } catch {
    throw new CodecError(CodecErrorCode.encoding, 'the document is not valid UTF-8');
  }
}

/**
 * The demands of a file, one by one, as it is read. Iterate it once; `problems` (file-level) is
 * complete when the iteration ends. Errors (`CodecError`) are thrown by the iteration.
 */
export class DemandeStream implements AsyncIterable<StreamItem> {
  /** File-level problems: header, structure outside the demands. */
  readonly problems: Issue[] = [];
  private context: FragmentContext | undefined;
  private started = false;

  constructor(
    private readonly codec: InterfaceNuuCodec,
    private readonly source: ByteSource,
  ) {}

  async *[Symbol.asyncIterator](): AsyncIterator<StreamItem> {
    if (this.started) throw new Error('a DemandeStream can be iterated once');
    this.started = true;
    const splitter = this.codec.splitter();
    const decoder = new TextDecoder('utf-8', { fatal: true });
    let first = true;
    for await (const chunk of this.source as AsyncIterable<Buffer | Uint8Array | string> | Iterable<Buffer | Uint8Array | string>) {
      let text = typeof chunk === 'string' ? chunk : decodeUtf8(decoder, chunk, true);
      if (first && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      if (text) first = false;
      splitter.write(text);
      yield* this.drain(splitter);
    }
    const tail = decodeUtf8(decoder, new Uint8Array(0), false);
    if (tail) splitter.write(tail);
    splitter.end();
    yield* this.drain(splitter);
    if (!this.context) this.problems.push(...this.codec.contextOf(splitter, splitter.form ?? 'demande').problems);
    this.problems.push(...splitter.problems);
  }

  private *drain(splitter: InterfaceNuuSplitter): Generator<StreamItem> {
    const fragments = splitter.take();
    if (!fragments.length) return;
    if (!this.context) {
      const { context, problems } = this.codec.contextOf(splitter, fragments[0]!.form);
      this.context = context;
      this.problems.push(...problems);
    }
    for (const f of fragments) yield this.item(f);
  }

  private item(f: RawFragment & { form: DispatchForm }): StreamItem {
    const c = this.context!;
    return {
      versionInterface: c.versionInterface,
      entete: c.entete,
      form: f.form,
      namespaces: c.namespaces,
      index: f.index,
      xml: f.xml,
      line: f.line,
      column: f.column,
    };
  }
}
