import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import { codedFields, codesOf, type Demande } from '../../src/domain';
import { buildInterfaceNuu, parseInterfaceNuu, type DemandeResult, type ParsedInterfaceNuu } from '../../src/codec';
import { codec, elements, fixture, generate, header, repo } from './support';

function accepted(parsed: ParsedInterfaceNuu): Demande[] {
  return parsed.demandes.map((d: DemandeResult) => {
    if (!d.ok) throw new Error(`demand ${d.index} quarantined: ${JSON.stringify(d.issues)}`);
    return d.demande;
  });
}

/** An XML document as a tree, names without prefixes, namespace declarations left out. */
// htmlEntities: the library decodes numeric references only with it (independent of the codec's decoder).
const treeParser = new XMLParser({ ignoreAttributes: false, parseTagValue: false, removeNSPrefix: true, jPath: false, htmlEntities: true });
const tree = (xml: string | Buffer): unknown => treeParser.parse(xml);

/** The synthetic generator of src/synthetic when it is there, else this folder's own. */
function generator(): { source: string; make: (count: number) => Demande[] } {
  if (existsSync(join(repo, 'src/synthetic/index.ts'))) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- optional module, resolved at run time
    const synthetic = require(join(repo, 'src/synthetic')) as { generateDemandes?: (o: { count: number; seed: number }) => Demande[] };
    if (typeof synthetic.generateDemandes === 'function') {
      const make = synthetic.generateDemandes;
      return { source: 'src/synthetic', make: (count) => make({ count, seed: 20240306 }) };
    }
  }
  return { source: 'test/codec/support', make: (count) => generate(20240306, count) };
}

describe('round trip canonical -> XML -> canonical', () => {
  it('gives back the same canonical objects for 500 varied demands, and parse -> build -> parse is stable', () => {
    const demandes = generate(1, 500);
    const xml = codec.build({ ...header, demandes });
    const parsed = codec.parse(xml);
    expect(parsed.problems).toEqual([]);
    expect(accepted(parsed)).toEqual(demandes);
    const again = codec.build({ ...header, demandes: accepted(parsed), form: parsed.form });
    expect(again).toBe(xml);
  });

  it('gives back every block of demands that fill every optional field and list', () => {
    const demandes = generate(2, 50, true);
    expect(accepted(codec.parse(codec.build({ ...header, demandes })))).toEqual(demandes);
  });

  it(`round-trips 10,000 generated demands with zero differences (${generator().source})`, () => {
    const { make } = generator();
    const demandes = make(10_000);
    let differences = 0;
    for (let i = 0; i < demandes.length; i += 1000) {
      const batch = demandes.slice(i, i + 1000);
      const back = codec.parse(codec.build({ ...header, demandes: batch })).demandes;
      back.forEach((d, k) => {
        if (!d.ok) differences++;
        else if (JSON.stringify(d.demande) !== JSON.stringify(batch[k])) differences++;
      });
    }
    expect(differences).toBe(0);
    // A generous bound for a loaded CI machine: this test checks correctness, bench/codec.ts measures speed.
  }, 120_000);

  it('carries every code of every code list, in every coded field of the model', () => {
    const [base] = generate(3, 1, true);
    const cases: Array<{ path: string; code: string; demande: Demande }> = [];
    for (const { path, list } of codedFields()) {
      for (const code of codesOf(list)) {
        const demande = structuredClone(base!);
        setAt(demande, path, code);
        cases.push({ path, code, demande });
      }
    }
    const parsed = codec.parse(codec.build({ ...header, demandes: cases.map((c) => c.demande) }));
    const back = accepted(parsed);
    cases.forEach((c, i) => expect({ path: c.path, code: getAt(back[i]!, c.path) }).toEqual({ path: c.path, code: c.code }));
    // 37 coded fields; every list has at least 2 codes.
    expect(cases.length).toBeGreaterThan(37 * 2);
  });

  it.each(['full.xml', 'minimal.xml', 'dispatch-demande-prefixed.xml', 'dispatch-demandelogement.xml', 'corsica-accents.xml'])(
    'rebuilds %s into a document with the same XML tree (semantic comparison), stable on a second trip',
    (name) => {
      const original = fixture(name);
      const parsed = parseInterfaceNuu(original, { elements });
      const rebuilt = buildInterfaceNuu(
        { versionInterface: parsed.versionInterface!, entete: parsed.entete as never, demandes: accepted(parsed), form: parsed.form },
        { elements },
      );
      expect(tree(rebuilt)).toEqual(tree(original));
      const reparsed = codec.parse(rebuilt);
      expect(accepted(reparsed)).toEqual(accepted(parsed));
      expect(reparsed.form).toBe(parsed.form);
    },
  );

  it('rebuilds full.xml byte for byte: it is written in the builder layout', () => {
    const original = fixture('full.xml').toString('utf8');
    const parsed = codec.parse(original);
    expect(codec.build({ versionInterface: '02.01', entete: parsed.entete as never, demandes: accepted(parsed) })).toBe(original);
  });

  it('normalises what the canonical model does not keep (nil, empty lists, 1 for true, leading zeros) and is stable after', () => {
    const parsed = codec.parse(fixture('lists-no-namespace.xml'));
    const [d] = accepted(parsed);
    expect(d!.numUnique).toBeUndefined();
    expect(d!.logementRecherche.demandeElargie).toBe(true);
    expect(d!.demandeur.ressourcesRecues).toEqual([{ code: 'RSA', montant: 607 }]);
    expect(d!.cotitulaires).toEqual([]);
    const rebuilt = codec.build({ versionInterface: '02.00', entete: parsed.entete as never, demandes: [d!] });
    expect(accepted(codec.parse(rebuilt))).toEqual([d]);
    expect(rebuilt).not.toContain('listeCotitulaire');
  });
});

type Node = Record<string, unknown>;

/** Sets a coded path of `codedFields()` (`a.b[].c`), at index 0 of each list. */
function setAt(obj: Node, path: string, value: string): void {
  const steps = path.replace(/\[\]/g, '.0').split('.');
  let cur: Node = obj;
  steps.slice(0, -1).forEach((s) => {
    cur = cur[s] as Node;
  });
  cur[steps[steps.length - 1]!] = value;
}

function getAt(obj: object, path: string): unknown {
  return path
    .replace(/\[\]/g, '.0')
    .split('.')
    .reduce<unknown>((o, s) => (o as Node | undefined)?.[s], obj);
}
