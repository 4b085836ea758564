/**
 * `npm run bench -- codec [--count N] [--reps R]`: the SNE codec against raw fast-xml-parser, in one run.
 *
 * One document of N synthetic demands (default 5,000). Measured (median of R runs, default 5):
 * raw fast-xml-parser on the whole document with default and with tuned options (and tuned with jPath
 * on), and per demand;
 * fast-xml-parser's XMLValidator (the pre-validation the codec's own splitter replaces); the splitter
 * alone; the codec parse without and with validation; streaming from 64 KiB chunks (split only, then
 * split + parse + validate); the codec build against XMLBuilder serialising an equivalent tree.
 * Stages run round-robin, medians kept. Compare ratios within a run: absolute figures vary by 20-30 %
 * between runs on a shared machine.
 */
import { XMLBuilder, XMLParser, XMLValidator } from 'fast-xml-parser';
import type { Benchmark } from './run';
import { createInterfaceNuuCodec, loadElementTable } from '../src/codec';
import { strictEntityDecoder } from '../src/codec/xmltext';
import { generateDemandes } from '../src/synthetic';

interface Figure {
  ms: number;
  mbPerS: number;
  recordsPerS: number;
}

function option(args: string[], name: string, fallback: number): number {
  const i = args.indexOf(`--${name}`);
  const v = i === -1 ? undefined : Number(args[i + 1]);
  return v !== undefined && Number.isFinite(v) && v > 0 ? v : fallback;
}

type Stage = () => unknown | Promise<unknown>;

/**
 * Runs the stages round-robin (every rep runs each stage once, in turn) and keeps each one's median:
 * heap growth, GC and the load of a shared machine then weigh on every stage alike.
 */
async function measureAll<K extends string>(reps: number, stages: Record<K, Stage>): Promise<Record<K, number>> {
  const names = Object.keys(stages) as K[];
  const times = Object.fromEntries(names.map((n) => [n, [] as number[]])) as Record<K, number[]>;
  for (const n of names) await stages[n](); // warm-up
  for (let r = 0; r < reps; r++) {
    for (const n of names) {
      const t = process.hrtime.bigint();
      await stages[n]();
      times[n].push(Number(process.hrtime.bigint() - t) / 1e6);
    }
  }
  return Object.fromEntries(names.map((n) => [n, times[n].sort((a, b) => a - b)[Math.floor(reps / 2)]!])) as Record<K, number>;
}

const round = (x: number): number => Math.round(x * 100) / 100;

const bench: Benchmark = {
  description: 'interfaceNuu codec: parse, validate, stream and build against raw fast-xml-parser',
  async run(args) {
    const count = option(args, 'count', 5000);
    const reps = option(args, 'reps', 5);
    const codec = createInterfaceNuuCodec({ elements: loadElementTable() });
    const demandes = generateDemandes({ count, seed: 'bench-codec' });
    const xml = codec.build({ versionInterface: '02.01', entete: { typeFichier: 'DIS', dateFichier: '2025-03-14T03:00:00+01:00' }, demandes });
    const bytes = Buffer.byteLength(xml);
    const buffer = Buffer.from(xml);
    const splitter = codec.splitter();
    splitter.write(xml);
    splitter.end();
    const fragments = splitter.take();
    console.log(`${count} demands, ${(bytes / 1e6).toFixed(1)} MB (${Math.round(bytes / count)} bytes per demand), median of ${reps} runs`);

    const items = codec.spec.itemNames;
    const tuned = new XMLParser({
      ignoreAttributes: false,
      parseTagValue: false,
      removeNSPrefix: true,
      jPath: false,
      isArray: (name, _p, _l, isAttribute) => !isAttribute && items.has(name),
      entityDecoder: strictEntityDecoder,
    });
    // The same options with jPath left on (the library's default): isolates what `jPath: false` buys.
    const tunedJPath = new XMLParser({
      ignoreAttributes: false,
      parseTagValue: false,
      removeNSPrefix: true,
      isArray: (name, _p, _l, isAttribute) => !isAttribute && items.has(name),
      entityDecoder: strictEntityDecoder,
    });
    const chunks: Buffer[] = [];
    for (let i = 0; i < buffer.length; i += 65_536) chunks.push(buffer.subarray(i, i + 65_536));
    const tree: unknown = new XMLParser({ ignoreAttributes: false, parseTagValue: false }).parse(xml);
    const xmlBuilder = new XMLBuilder({ ignoreAttributes: false, format: true, suppressEmptyNode: true });

    const medians = await measureAll(reps, {
      rawDefault: () => new XMLParser().parse(xml),
      rawTuned: () => tuned.parse(xml),
      rawTunedJPathOn: () => tunedJPath.parse(xml),
      rawTunedPerDemand: () => {
        for (const fr of fragments) tuned.parse(fr.xml);
      },
      xmlValidator: () => XMLValidator.validate(xml),
      split: () => {
        const s = codec.splitter({ detach: false });
        s.write(xml);
        s.end();
        return s.take();
      },
      parseWithoutValidation: () => {
        const s = codec.splitter({ detach: false });
        s.write(xml);
        s.end();
        return s.take().map((fr) => codec.readFragment(fr.xml, fr));
      },
      parse: () => codec.parse(xml),
      streamSplit: async () => {
        for await (const item of codec.stream(chunks)) void item;
      },
      streamParse: async () => {
        for await (const item of codec.stream(chunks)) codec.parseFragment(item.xml, item);
      },
      build: () => codec.build({ versionInterface: '02.01', entete: { typeFichier: 'DIS', dateFichier: '2025-03-14T03:00:00+01:00' }, demandes }),
      xmlBuilderFromTree: () => xmlBuilder.build(tree),
    });
    const figure = (ms: number): Figure => ({ ms: Math.round(ms), mbPerS: round((bytes / 1e6 / ms) * 1000), recordsPerS: Math.round((count / ms) * 1000) });
    const f = Object.fromEntries(Object.entries(medians).map(([k, ms]) => [k, figure(ms as number)])) as Record<keyof typeof medians, Figure>;

    const ratio = (a: Figure, b: Figure): number => round(a.recordsPerS / b.recordsPerS);
    const ratios = {
      parseVsRawTuned: ratio(f.parse, f.rawTuned),
      parseVsRawDefault: ratio(f.parse, f.rawDefault),
      parseWithoutValidationVsRawTuned: ratio(f.parseWithoutValidation, f.rawTuned),
      validationCost: round(1 - f.parse.recordsPerS / f.parseWithoutValidation.recordsPerS),
      rawTunedVsDefault: ratio(f.rawTuned, f.rawDefault),
      jPathOffVsOn: ratio(f.rawTuned, f.rawTunedJPathOn),
      rawPerDemandVsWhole: ratio(f.rawTunedPerDemand, f.rawTuned),
      splitVsXmlValidator: ratio(f.split, f.xmlValidator),
      streamParseVsParse: ratio(f.streamParse, f.parse),
      buildVsXmlBuilder: ratio(f.build, f.xmlBuilderFromTree),
    };

    console.log('\nstage                                     MB/s   demands/s     ms');
    for (const [name, v] of Object.entries(f)) {
      console.log(`${name.padEnd(40)} ${v.mbPerS.toFixed(1).padStart(6)} ${String(v.recordsPerS).padStart(11)} ${String(v.ms).padStart(6)}`);
    }
    console.log('\nratios (same run)');
    for (const [name, v] of Object.entries(ratios)) console.log(`${name.padEnd(40)} ${v}`);
    return { count, bytes, reps, ...f, ratios };
  },
};

export default bench;
