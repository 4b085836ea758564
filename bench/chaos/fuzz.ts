/**
 * Property-based fuzzing of the `interfaceNuu` codec with fast-check (design.md §3.5): thousands of
 * generated cases, each seeded so that a failure replays. The properties:
 *
 * 1. round trip: seeded synthetic demands, written then read, come back equal;
 * 2. mutations: a valid document with bytes flipped, cut, repeated or hostile tokens inserted is either
 *    refused with a `CodecError`, or read with every refused demand explaining itself (path, rule), and
 *    no message quotes a personal value; never another kind of exception;
 * 3. arbitrary bytes and text: the same;
 * 4. text values: any Unicode string as a name is either refused when writing (`XML_BUILD_INVALID`) or
 *    read back unchanged (or quarantined with a clear issue);
 * 5. streaming: a document cut into chunks at arbitrary places streams to the same demands as a whole parse.
 */
import fc from 'fast-check';
import { CodecError, CodecErrorCode } from '../../src/codec';
import { generateDemandes } from '../../src/synthetic';
import { base, codecVerdict } from './hostile';

export interface PropertyResult {
  name: string;
  runs: number;
  ok: boolean;
  /** Seed and path to replay a failure (never the failing input itself: it may hold demand values). */
  replay?: string;
  error?: string;
}

const HEADER = { versionInterface: '02.01', entete: { typeFichier: 'DIS' as const, dateFichier: '2024-03-06T02:00:00+01:00' } };

const TOKENS: ReadonlyArray<string | Buffer> = [
  '<!DOCTYPE interfaceNuu [<!ENTITY a "b">]>',
  '<!ENTITY x SYSTEM "file:///etc/passwd">',
  '&a;',
  '&#0;',
  '&#x110000;',
  '&#xD800;',
  '&amp',
  '<![CDATA[',
  ']]>',
  '<?pi x?>',
  '<!--',
  '-->',
  '<x>',
  '</x>',
  '<x a="1" a="2">',
  '<',
  '>',
  '&',
  '"',
  '\u0000',
  '\uFFFE',
  '<x>'.repeat(100),
  Buffer.from([0xff]),
  Buffer.from([0xc3]),
  Buffer.from([0xed, 0xa0, 0x80]),
  Buffer.from([0xef, 0xbb, 0xbf]),
];

type Mutation =
  | { kind: 'flip'; at: number; byte: number }
  | { kind: 'delete'; at: number; length: number }
  | { kind: 'repeat'; at: number; length: number; times: number }
  | { kind: 'insert'; at: number; token: number }
  | { kind: 'truncate'; at: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 200 }) }),
  fc.record({ kind: fc.constant('repeat' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 200 }), times: fc.integer({ min: 2, max: 50 }) }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), token: fc.integer({ min: 0, max: TOKENS.length - 1 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
);

export function mutate(doc: Buffer, m: Mutation): Buffer {
  const at = doc.length === 0 ? 0 : m.at % doc.length;
  switch (m.kind) {
    case 'flip': {
      const out = Buffer.from(doc);
      if (out.length) out[at] = m.byte;
      return out;
    }
    case 'delete':
      return Buffer.concat([doc.subarray(0, at), doc.subarray(at + m.length)]);
    case 'repeat': {
      const slice = doc.subarray(at, at + m.length);
      return Buffer.concat([doc.subarray(0, at), ...Array.from({ length: m.times }, () => slice), doc.subarray(at + m.length)]);
    }
    case 'insert': {
      const t = TOKENS[m.token] ?? '';
      return Buffer.concat([doc.subarray(0, at), typeof t === 'string' ? Buffer.from(t, 'utf8') : t, doc.subarray(at)]);
    }
    case 'truncate':
      return doc.subarray(0, at);
  }
}

function check<T>(name: string, arb: fc.Arbitrary<T>, predicate: (v: T) => boolean | void, numRuns: number, seed: number): PropertyResult {
  const details = fc.check(fc.property(arb, predicate), { numRuns, seed });
  if (!details.failed) return { name, runs: details.numRuns, ok: true };
  const err = details.errorInstance;
  return {
    name,
    runs: details.numRuns,
    ok: false,
    replay: `seed ${details.seed}, path ${details.counterexamplePath ?? '?'}`,
    // The property's own message names the rule broken; fast-check's would print the input.
    error: err instanceof Error ? err.message.split('\n')[0]?.slice(0, 300) : 'property returned false',
  };
}

export interface FuzzOptions {
  /** Multiplies the default run counts (1 = the full suite's: 6,100 cases). */
  scale: number;
  seed: number;
}

/** Runs every property; each result says how many cases ran and how to replay a failure. */
export async function runCodecProperties(o: FuzzOptions): Promise<PropertyResult[]> {
  const { codec, doc } = base();
  const docBytes = Buffer.from(doc, 'utf8');
  const n = (full: number) => Math.max(10, Math.round(full * o.scale));
  const results: PropertyResult[] = [];

  results.push(
    check(
      'round trip of synthetic demands',
      fc.record({ seed: fc.integer(), count: fc.integer({ min: 1, max: 4 }) }),
      ({ seed, count }) => {
        const demandes = generateDemandes({ seed, count });
        const parsed = codec.parse(codec.build({ ...HEADER, demandes }));
        parsed.demandes.forEach((d, i) => {
          if (!d.ok) throw new Error(`demand ${i} refused after the trip: ${d.issues.map((x) => `${x.path} ${x.rule}`).join('; ')}`);
          if (JSON.stringify(d.demande) !== JSON.stringify(JSON.parse(JSON.stringify(demandes[i])))) throw new Error(`demand ${i} changed on the trip`);
        });
        if (parsed.demandes.length !== count) throw new Error(`${parsed.demandes.length} demands read back of ${count}`);
      },
      n(400),
      o.seed,
    ),
  );

  results.push(
    check(
      'mutated documents: a CodecError or a clear quarantine, nothing else',
      fc.array(mutation, { minLength: 1, maxLength: 4 }),
      (ms) => {
        const input = ms.reduce<Buffer>((d, m) => mutate(d, m), docBytes);
        const v = codecVerdict(input, [], { mayParse: true });
        if (!v.ok) throw new Error(`${v.outcome}: ${v.detail ?? ''}`);
      },
      n(3000),
      o.seed + 1,
    ),
  );

  results.push(
    check(
      'arbitrary bytes: a CodecError or a clear result',
      fc.uint8Array({ maxLength: 4096 }),
      (bytes) => {
        const v = codecVerdict(Buffer.from(bytes), [], { mayParse: true });
        if (!v.ok) throw new Error(`${v.outcome}: ${v.detail ?? ''}`);
      },
      n(700),
      o.seed + 2,
    ),
  );

  results.push(
    check(
      'arbitrary text wrapped in the root element: a CodecError or a clear result',
      fc.string({ unit: 'binary', maxLength: 2000 }),
      (text) => {
        const v = codecVerdict(`<?xml version="1.0" encoding="UTF-8"?><interfaceNuu xmlns="http://nuu.application.i2/">${text}</interfaceNuu>`, [], { mayParse: true });
        if (!v.ok) throw new Error(`${v.outcome}: ${v.detail ?? ''}`);
      },
      n(700),
      o.seed + 3,
    ),
  );

  const [one] = generateDemandes({ seed: 'fuzz-names', count: 1 });
  results.push(
    check(
      'any Unicode name: refused when written, or read back unchanged (or quarantined clearly)',
      fc.string({ unit: 'binary', minLength: 1, maxLength: 80 }),
      (nom) => {
        if (!one) return;
        let xml: string;
        try {
          xml = codec.build({ ...HEADER, demandes: [{ ...one, demandeur: { ...one.demandeur, nom } }] });
        } catch (e) {
          if (e instanceof CodecError && e.code === CodecErrorCode.buildInvalid && !e.message.includes(nom)) return;
          throw new Error(`writing threw ${e instanceof CodecError ? e.code : e instanceof Error ? e.name : typeof e}${e instanceof Error && e.message.includes(nom) ? ' quoting the value' : ''}`);
        }
        const v = codecVerdict(xml, [], { mayParse: true });
        if (!v.ok) throw new Error(`${v.outcome}: ${v.detail ?? ''}`);
        const d = codec.parse(xml).demandes[0];
        if (d?.ok && d.demande.demandeur.nom !== nom.trim() && d.demande.demandeur.nom !== nom) throw new Error('the name changed on the trip');
        if (d && !d.ok && d.issues.some((i) => i.message.includes(nom) && nom.length > 3)) throw new Error('an issue quotes the name');
      },
      n(700),
      o.seed + 4,
    ),
  );

  const whole = JSON.stringify(codec.parse(docBytes).demandes.map((d) => (d.ok ? d.demande : d.issues)));
  const streamCheck = await fc.check(
    fc.asyncProperty(fc.array(fc.integer({ min: 1, max: 97 }), { minLength: 1, maxLength: 40 }), async (sizes) => {
      const chunks: Buffer[] = [];
      for (let at = 0, k = 0; at < docBytes.length; k++) {
        const size = sizes[k % sizes.length] ?? 1;
        chunks.push(docBytes.subarray(at, at + size));
        at += size;
      }
      const read: unknown[] = [];
      for await (const item of codec.stream(chunks)) {
        const d = codec.parseFragment(item.xml, item);
        read.push(d.ok ? d.demande : d.issues);
      }
      if (JSON.stringify(read) !== whole) throw new Error('the stream read other demands than the whole parse');
    }),
    { numRuns: n(300), seed: o.seed + 5 },
  );
  results.push({
    name: 'streaming in arbitrary chunks reads the same demands as a whole parse',
    runs: streamCheck.numRuns,
    ok: !streamCheck.failed,
    ...(streamCheck.failed
      ? {
          replay: `seed ${streamCheck.seed}, path ${streamCheck.counterexamplePath ?? '?'}`,
          error: streamCheck.errorInstance instanceof Error ? streamCheck.errorInstance.message.split('\n')[0]?.slice(0, 300) : 'property returned false',
        }
      : {}),
  });
  return results;
}
