/**
 * Reading a source's full stock file (a dispatch file of every demand, ~1.5 GB for 300,000 demands)
 * demand by demand, without parsing: each demand's XML fragment is hashed (sha256 of its bytes, the
 * `rawHash` the pull records in the ledger) and its numéro unique read in place.
 *
 * The codec's splitter checks well-formedness as it goes and runs at ~35 MB/s (measured: 73 MB in
 * 2.1 s), too slow for 1.5 GB in a nightly budget of a minute. The fast path here scans bytes for the
 * `demandeLogement` tags only (memchr-speed `Buffer.indexOf`), and is safe because it refuses what it
 * cannot judge: a comment, CDATA or DTD anywhere, a second occurrence of the element name where one is
 * not expected, a fragment that does not end. Then the file is read again from the start with the codec's
 * checking splitter (`onRestart` lets the caller forget what it was given). Both give byte-identical
 * fragments, so their hashes equal those of the pull.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { InterfaceNuuCodec } from '../codec';
import { PermanentError, type Issue } from '../errors';

/** One demand of the stock. `xml()` and `bytes` are valid during the callback only. */
export interface StockItem {
  index: number;
  numUnique: string | undefined;
  /** sha256 of the fragment as written (the ledger's `rawHash`). */
  rawHash: Buffer;
  bytes: Buffer;
  /** The fragment as text, for the parser. */
  xml(): string;
}

export interface StockHeader {
  versionInterface?: string;
  typeFichier?: string;
  dateFichier?: string;
}

export interface StockScanResult {
  splitter: 'fast' | 'codec';
  demandes: number;
  bytes: number;
  header: StockHeader;
  problems: Issue[];
}

export interface StockScanOptions {
  codec: InterfaceNuuCodec;
  /** Called for each demand in file order; a returned promise is awaited (backpressure). */
  onItem: (item: StockItem) => void | Promise<void>;
  /** Called before the file is read again with the checking splitter: forget what was given. */
  onRestart?: () => Promise<void>;
  /** Bytes read so far (progress). */
  onBytes?: (bytes: number) => void;
  chunkBytes?: number;
  /** Use the checking splitter from the start. */
  forceCodec?: boolean;
}

export const StockErrorCode = {
  notFound: 'RECONCILE_STOCK_NOT_FOUND',
  truncated: 'RECONCILE_STOCK_TRUNCATED',
  invalid: 'RECONCILE_STOCK_INVALID',
} as const;

class NeedsCheckingSplitter extends Error {
  constructor(readonly why: string) {
    super(why);
  }
}

const BANG = Buffer.from('<!');
const IGNORED = /^\.|\.(tmp|part|partial|crdownload|swp)$/i;

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The numéro unique of a fragment, read in place: the first `<numUnique>` (any prefix) and its text. */
export function numUniqueIn(fragment: Buffer, name: Buffer): string | undefined {
  let i = fragment.indexOf(name);
  while (i !== -1) {
    // `<numUnique>` or `<ns:numUnique>` (not a closing tag, not a longer name ending like it).
    const before = i > 0 ? fragment[i - 1] : undefined;
    let open = false;
    if (before === 0x3c /* < */) open = true;
    else if (before === 0x3a /* : */) {
      let j = i - 2;
      while (j >= 0 && fragment[j] !== 0x3c && fragment[j] !== 0x3e && fragment[j] !== 0x2f) j--;
      open = j >= 0 && fragment[j] === 0x3c;
    }
    const end = i + name.length;
    if (open && fragment[end] === 0x3e /* > */) {
      const close = fragment.indexOf(0x3c, end + 1);
      if (close === -1) return undefined;
      const value = fragment.toString('latin1', end + 1, close).trim();
      return value || undefined;
    }
    i = fragment.indexOf(name, i + 1);
  }
  return undefined;
}

function sha256(bytes: Buffer | string): Buffer {
  return createHash('sha256').update(bytes).digest();
}

function headerOf(text: string, names: { typeFichier: string; dateFichier: string }): StockHeader {
  const h: StockHeader = {};
  const version = /\sversionInterface\s*=\s*["']([^"']*)["']/.exec(text);
  if (version) h.versionInterface = version[1]!;
  for (const key of ['typeFichier', 'dateFichier'] as const) {
    const m = new RegExp(`<(?:[\\w.-]+:)?${escapeRe(names[key])}>\\s*([^<]*?)\\s*</`).exec(text);
    if (m) h[key] = m[1]!;
  }
  return h;
}

/**
 * Reads a stock file demand by demand. Throws `RECONCILE_STOCK_TRUNCATED` when the file does not end
 * its root element (a half-written file would report every missing demand as gone), and the codec's
 * errors when the checking splitter finds the file not well-formed.
 */
export async function scanStock(path: string, options: StockScanOptions): Promise<StockScanResult> {
  if (!options.forceCodec) {
    try {
      return await fastScan(path, options);
    } catch (e) {
      if (!(e instanceof NeedsCheckingSplitter)) throw e;
      await options.onRestart?.();
      const result = await codecScan(path, options);
      result.problems.unshift({
        path: 'stock',
        rule: 'checking-splitter',
        message: `the stock file was read with the checking splitter (slower): ${e.why}`,
      });
      return result;
    }
  }
  return codecScan(path, options);
}

async function fastScan(path: string, options: StockScanOptions): Promise<StockScanResult> {
  const spec = options.codec.spec;
  const dl = spec.structure.demandeLogement;
  const root = spec.structure.root;
  const nameBytes = Buffer.from(dl, 'latin1');
  const nuField = spec.demandeLogement.find((f) => f.t === 'text' && f.key === 'numUnique');
  const nuName = Buffer.from(nuField && nuField.t === 'text' ? nuField.w : 'numUnique', 'latin1');
  const maxFragment = options.codec.maxFragmentLength * 4; // characters -> at most 4 bytes each
  const headRe = new RegExp(`<((?:[A-Za-z_][\\w.-]*:)?${escapeRe(dl)})[\\s/>]`);
  const rootRe = new RegExp(`<((?:[A-Za-z_][\\w.-]*:)?${escapeRe(root)})[\\s>]`);

  let header: StockHeader = {};
  let open: Buffer | undefined;
  let close: Buffer | undefined;
  let rootClose: Buffer | undefined;
  let carry: Buffer = Buffer.alloc(0);
  let index = 0;
  let total = 0;
  let headText = '';

  const checkRegion = (region: Buffer, expectedNames: number, what: string): void => {
    if (region.indexOf(BANG) !== -1) throw new NeedsCheckingSplitter('a comment, CDATA section or declaration');
    let n = 0;
    for (let i = region.indexOf(nameBytes); i !== -1; i = region.indexOf(nameBytes, i + 1)) n++;
    if (n !== expectedNames) throw new NeedsCheckingSplitter(`unexpected element names ${what}`);
  };

  for await (const chunk of createReadStream(path, { highWaterMark: options.chunkBytes ?? 1 << 20 })) {
    const data = chunk as Buffer;
    total += data.length;
    options.onBytes?.(total);
    let buf = carry.length ? Buffer.concat([carry, data]) : data;
    let pos = 0;

    if (!open) {
      const text = buf.toString('latin1');
      const m = headRe.exec(text);
      if (!m) {
        if (buf.length > maxFragment) throw new NeedsCheckingSplitter('no demand found at the start of the file');
        carry = buf;
        continue;
      }
      headText = text.slice(0, m.index);
      const rm = rootRe.exec(headText);
      if (!rm) throw new NeedsCheckingSplitter('the root element was not found before the first demand');
      checkRegion(buf.subarray(0, m.index), 0, 'before the first demand');
      header = headerOf(Buffer.from(headText, 'latin1').toString('utf8'), spec.entete);
      open = Buffer.from(`<${m[1]}`, 'latin1');
      close = Buffer.from(`</${m[1]}>`, 'latin1');
      rootClose = Buffer.from(`</${rm[1]}>`, 'latin1');
      pos = m.index;
    }

    for (;;) {
      const s = buf.indexOf(open, pos);
      if (s === -1) {
        // Keep what may hold the start of the next tag (and the gap, checked with its demand).
        carry = buf.subarray(pos);
        break;
      }
      const after = buf[s + open.length];
      if (after === undefined) {
        carry = buf.subarray(pos);
        break;
      }
      const gt = buf.indexOf(0x3e, s);
      if (gt === -1) {
        carry = buf.subarray(pos);
        break;
      }
      if (after !== 0x3e && after !== 0x20 && after !== 0x0a && after !== 0x0d && after !== 0x09 && after !== 0x2f) {
        throw new NeedsCheckingSplitter('an element whose name starts like demandeLogement');
      }
      let end: number;
      let names: number;
      if (buf[gt - 1] === 0x2f) {
        end = gt + 1;
        names = 1;
      } else {
        const e = buf.indexOf(close!, gt);
        if (e === -1) {
          if (buf.length - s > maxFragment) {
            throw new PermanentError(StockErrorCode.invalid, 'a demand of the stock file is larger than the fragment limit', { system: 'reconcile' });
          }
          carry = buf.subarray(pos);
          break;
        }
        end = e + close!.length;
        names = 2;
      }
      checkRegion(buf.subarray(pos, end), names, 'around a demand');
      const bytes = buf.subarray(s, end);
      const item: StockItem = {
        index: index++,
        numUnique: numUniqueIn(bytes, nuName),
        rawHash: sha256(bytes),
        bytes,
        xml: () => bytes.toString('utf8'),
      };
      const r = options.onItem(item);
      if (r) await r;
      pos = end;
    }
    if (carry.length > maxFragment) {
      throw new PermanentError(StockErrorCode.invalid, 'a demand of the stock file is larger than the fragment limit', { system: 'reconcile' });
    }
    // A fresh copy: the carried bytes must not keep the whole chunk alive.
    if (carry.length) carry = Buffer.from(carry);
    buf = carry;
  }

  if (!open) {
    // No demand at all: the checking splitter judges such a file (empty stock, or not a stock).
    throw new NeedsCheckingSplitter('no demand in the file');
  }
  checkRegion(carry, 0, 'after the last demand');
  const end = carry.indexOf(rootClose!);
  if (end === -1 || carry.subarray(end + rootClose!.length).toString('latin1').trim() !== '') {
    throw new PermanentError(StockErrorCode.truncated, 'the stock file does not end its root element: it is truncated or still being written', {
      system: 'reconcile',
      details: { demandes: index },
    });
  }
  return { splitter: 'fast', demandes: index, bytes: total, header, problems: [] };
}

async function codecScan(path: string, options: StockScanOptions): Promise<StockScanResult> {
  const spec = options.codec.spec;
  const nuField = spec.demandeLogement.find((f) => f.t === 'text' && f.key === 'numUnique');
  const nuName = Buffer.from(nuField && nuField.t === 'text' ? nuField.w : 'numUnique', 'latin1');
  let total = 0;
  async function* counted(): AsyncGenerator<Buffer> {
    for await (const chunk of createReadStream(path, { highWaterMark: options.chunkBytes ?? 1 << 20 })) {
      total += (chunk as Buffer).length;
      options.onBytes?.(total);
      yield chunk as Buffer;
    }
  }
  const stream = options.codec.stream(counted());
  let header: StockHeader = {};
  let count = 0;
  for await (const item of stream) {
    if (count === 0) {
      header = {
        ...(item.versionInterface ? { versionInterface: item.versionInterface } : {}),
        ...(item.entete.typeFichier ? { typeFichier: item.entete.typeFichier } : {}),
        ...(item.entete.dateFichier ? { dateFichier: item.entete.dateFichier } : {}),
      };
    }
    count++;
    const bytes = Buffer.from(item.xml, 'utf8');
    const r = options.onItem({ index: item.index, numUnique: numUniqueIn(bytes, nuName), rawHash: sha256(bytes), bytes, xml: () => item.xml });
    if (r) await r;
  }
  return {
    splitter: 'codec',
    demandes: count,
    bytes: total,
    header,
    problems: stream.problems.map((p) => ({ ...p, path: `stock.${p.path}` })),
  };
}

/** A stock file: the file itself, or the newest complete `.xml` file of a folder. */
export async function resolveStockFile(fileOrDir: string): Promise<string> {
  const s = await stat(fileOrDir).catch(() => undefined);
  if (!s) {
    throw new PermanentError(StockErrorCode.notFound, 'the stock file or folder does not exist', { system: 'reconcile', details: { path: basename(fileOrDir) } });
  }
  if (s.isFile()) return fileOrDir;
  let newest: { path: string; mtime: number } | undefined;
  for (const name of await readdir(fileOrDir)) {
    if (IGNORED.test(name) || !name.toLowerCase().endsWith('.xml')) continue;
    const p = join(fileOrDir, name);
    const st = await stat(p).catch(() => undefined);
    if (st?.isFile() && (!newest || st.mtimeMs > newest.mtime || (st.mtimeMs === newest.mtime && p > newest.path))) {
      newest = { path: p, mtime: st.mtimeMs };
    }
  }
  if (!newest) {
    throw new PermanentError(StockErrorCode.notFound, 'the stock folder holds no .xml file', { system: 'reconcile' });
  }
  return newest.path;
}
