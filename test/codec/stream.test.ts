import { createReadStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CodecError,
  CodecErrorCode,
  parseDemandeFragment,
  streamDemandes,
  type DemandeResult,
  type StreamItem,
} from '../../src/codec';
import { chunked, codec, elements, fixture, generate, header } from './support';

async function collect(source: AsyncIterable<Buffer> | NodeJS.ReadableStream): Promise<{ items: StreamItem[]; problems: unknown[] }> {
  const stream = codec.stream(source as AsyncIterable<Buffer>);
  const items: StreamItem[] = [];
  for await (const item of stream) items.push(item);
  return { items, problems: stream.problems };
}

const results = (items: StreamItem[]): DemandeResult[] => items.map((item) => parseDemandeFragment(item.xml, item, codec));

describe('streaming a dispatch file demand by demand', () => {
  const demandes = generate(11, 1500);
  const bytes = Buffer.from(codec.build({ ...header, demandes }));

  it('splits a file much larger than its chunks, boundaries falling inside tags and characters, like the in-memory parse', async () => {
    const whole = codec.parse(bytes);
    // Odd chunk sizes: boundaries land inside tags, attribute values, references and multi-byte characters.
    const { items, problems } = await collect(chunked(bytes, [4093, 1, 777, 65_536, 3, 10_007]));
    expect(bytes.length).toBeGreaterThan(20 * 65_536);
    expect(items).toHaveLength(1500);
    expect(items.map((i) => i.index)).toEqual(whole.demandes.map((d) => d.index));
    expect(items[0]).toMatchObject({ versionInterface: '02.01', entete: header.entete, form: 'demande', namespaces: { xmlns: 'http://nuu.application.i2/' } });
    expect(results(items)).toEqual(whole.demandes);
    expect(problems).toEqual([]);
  });

  it('gives the same result whatever the split point, down to every byte of a two-demand file', async () => {
    const small = Buffer.from(codec.build({ ...header, demandes: generate(12, 2), form: 'demandeLogement' }));
    const { items: reference } = await collect(chunked(small, [small.length]));
    expect(results(reference)).toEqual(codec.parse(small).demandes);
    const shape = (items: StreamItem[]) => items.map(({ xml, line, column, form, index }) => ({ xml, line, column, form, index }));
    for (let cut = 1; cut < small.length; cut++) {
      const { items } = await collect(chunked(small, [cut, small.length]));
      expect(shape(items)).toEqual(shape(reference));
    }
    expect(reference.map((i) => i.form)).toEqual(['demandeLogement', 'demandeLogement']);
  });

  it('holds at most one demand and one chunk in memory', () => {
    const text = bytes.toString('utf8');
    const whole = codec.splitter();
    whole.write(text);
    whole.end();
    const longest = Math.max(...whole.take().map((f) => f.xml.length));
    const splitter = codec.splitter();
    const chunk = 16_384;
    let max = 0;
    let count = 0;
    for (let i = 0; i < text.length; i += chunk) {
      splitter.write(text.slice(i, i + chunk));
      max = Math.max(max, splitter.buffered);
      count += splitter.take().length;
    }
    splitter.end();
    count += splitter.take().length;
    expect(count).toBe(1500);
    expect(max).toBeLessThan(chunk + longest + 1000);
    expect(max).toBeLessThan(text.length / 10);
  });

  it('reads a Readable file stream and a prefixed dispatch file in the demandeLogement form', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'codec-stream-'));
    try {
      const file = join(dir, 'dispatch.xml');
      writeFileSync(file, fixture('dispatch-demandelogement.xml'));
      const stream = streamDemandes(createReadStream(file, { highWaterMark: 512 }), { elements });
      const items: StreamItem[] = [];
      for await (const item of stream) items.push(item);
      expect(items.map((i) => i.form)).toEqual(['demandeLogement', 'demandeLogement', 'demandeLogement']);
      expect(results(items).map((r) => r.ok && r.demande.numUnique)).toEqual(['0350124000001G0001', '0350124000002G0001', '0350224000003G0002']);
      expect(items[1]).toMatchObject({ line: 33, column: 5 });
      expect(stream.problems).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('yields fragments that parse alone, prefixes included, and place their errors at file positions', async () => {
    const { items } = await collect(chunked(fixture('dispatch-demande-prefixed.xml'), [100]));
    expect(items[2]!.xml.startsWith('<ns2:demandeLogement>')).toBe(true);
    expect(items[2]).toMatchObject({ line: 5, namespaces: { 'xmlns:ns2': 'http://nuu.application.i2/' } });
    const broken = items[2]!.xml.replace('<ns2:nom>Roux</ns2:nom>', '<ns2:nom>Roux &bad;</ns2:nom>');
    let error: unknown;
    try {
      parseDemandeFragment(broken, items[2]!, codec);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(CodecError);
    expect((error as CodecError).details).toMatchObject({ line: 5, column: broken.indexOf('&bad;') + items[2]!.column });
  });

  it('stops with a CodecError when the stream is not well-formed, after the demands before the fault', async () => {
    const cut = bytes.subarray(0, Math.floor(bytes.length / 2));
    const seen: number[] = [];
    let error: unknown;
    try {
      for await (const item of codec.stream(chunked(cut, [8192]))) seen.push(item.index);
    } catch (e) {
      error = e;
    }
    expect((error as CodecError).code).toBe(CodecErrorCode.malformed);
    expect(seen.length).toBeGreaterThan(100);
    expect(seen).toEqual(seen.map((_, i) => i));
  });

  it('stops with XML_MALFORMED at a character XML forbids inside a demand, after the demands before it, as the whole parse does', async () => {
    const blocks = bytes.toString('utf8').split('<demandeLogement>');
    blocks[701] = blocks[701]!.replace(/<nom>([^<]*)<\/nom>/, '<nom>$1\u0001</nom>');
    const bad = Buffer.from(blocks.join('<demandeLogement>'));
    let whole: unknown;
    try {
      codec.parse(bad);
    } catch (e) {
      whole = e;
    }
    const seen: number[] = [];
    let error: unknown;
    try {
      for await (const item of codec.stream(chunked(bad, [4093, 1, 777, 65_536]))) seen.push(item.index);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(CodecError);
    expect((error as CodecError).code).toBe(CodecErrorCode.malformed);
    expect((error as CodecError).message).toContain('character U+0001 is not allowed in XML');
    expect((error as CodecError).details).toEqual((whole as CodecError).details);
    expect(seen.length).toBeGreaterThan(600);
    expect(seen.length).toBeLessThanOrEqual(700);
    expect(seen).toEqual(seen.map((_, i) => i));
  });

  it('keeps a surrogate pair cut between two text chunks, and refuses a lone surrogate at its position, wherever the cut', async () => {
    const minimal = fixture('minimal.xml').toString('utf8');
    const paired = minimal.replace('<nom>Martin</nom>', '<nom>Mar😀tin</nom>');
    const lone = minimal.replace('<nom>Martin</nom>', '<nom>Mar\uD83Dtin</nom>');
    const ending = `${minimal.trimEnd()}\uD83D`;
    const outcome = async (chunks: string[]): Promise<unknown> => {
      try {
        const out: unknown[] = [];
        for await (const item of codec.stream(chunks)) {
          const r = codec.parseFragment(item.xml, item);
          out.push(r.ok && r.demande.demandeur.nom);
        }
        return out;
      } catch (e) {
        return e instanceof CodecError ? e.details : e;
      }
    };
    for (let cut = 1; cut < paired.length; cut++) {
      expect(await outcome([paired.slice(0, cut), paired.slice(cut)])).toEqual(['Mar😀tin']);
      expect(await outcome([lone.slice(0, cut), lone.slice(cut)])).toEqual({ line: 14, column: 19, reason: 'character U+D83D is not allowed in XML' });
    }
    expect(await outcome([ending])).toEqual({ line: 33, column: 16, reason: 'character U+D83D is not allowed in XML' });
  });

  it('refuses bytes that are not UTF-8 and a demand longer than the limit', async () => {
    const bad = Buffer.concat([bytes.subarray(0, 5000), Buffer.from([0xc3, 0x28]), bytes.subarray(5000)]);
    await expect(collect(chunked(bad, [4096]))).rejects.toMatchObject({ code: CodecErrorCode.encoding });
    const small = streamDemandes(chunked(bytes, [4096]), { elements, maxFragmentLength: 1000 });
    await expect((async () => {
      for await (const _ of small) void _;
    })()).rejects.toMatchObject({ code: CodecErrorCode.tooLarge });
  });

  it('reports file-level problems once the iteration is over', async () => {
    const xml = fixture('minimal.xml').toString('utf8').replace(' versionInterface="02.01"', '').replace('<typeFichier>CRE</typeFichier>', '<typeFichier>XYZ</typeFichier>');
    const { items, problems } = await collect(chunked(Buffer.from(xml), [64]));
    expect(items).toHaveLength(1);
    expect(problems).toEqual([
      expect.objectContaining({ path: 'versionInterface', rule: 'required' }),
      expect.objectContaining({ path: 'entete.typeFichier', rule: 'unknown-code' }),
    ]);
  });
});

describe('parsing fragments that did not come from the splitter', () => {
  it('refuses a DTD, and a fragment over the size limit, before the XML parser sees them', () => {
    const fragment = /<demandeLogement>[\s\S]*<\/demandeLogement>/.exec(fixture('minimal.xml').toString('utf8'))![0];
    const context = { entete: {}, form: 'demande' as const, namespaces: {} };
    expect(parseDemandeFragment(fragment, context, codec).ok).toBe(true);
    expect(parseDemandeFragment(`<!-- a comment -->${fragment}`, context, codec).ok).toBe(true);
    // Character data outside the root is not XML, whatever a lenient parser makes of it.
    expect(() => parseDemandeFragment(`<![CDATA[x]]>${fragment}`, context, codec)).toThrow(expect.objectContaining({ code: CodecErrorCode.malformed }));
    expect(() => parseDemandeFragment(`<!DOCTYPE d [<!ENTITY e "x">]>${fragment}`, context, codec)).toThrow(
      expect.objectContaining({ code: CodecErrorCode.dtdForbidden }),
    );
    expect(() => parseDemandeFragment(fragment, context, { elements, maxFragmentLength: 100 })).toThrow(
      expect.objectContaining({ code: CodecErrorCode.tooLarge }),
    );
  });
});
