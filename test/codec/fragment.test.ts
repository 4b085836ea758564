/**
 * The one-pass fragment parser against fast-xml-parser with the codec's options (its reference): the
 * same tree for every demand of a synthetic document and for the corners of XML the codec meets, and
 * a clear refusal, with the offset, where fast-xml-parser is lenient.
 */
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { XMLParser } from 'fast-xml-parser';
import { createInterfaceNuuCodec, loadElementTable } from '../../src/codec';
import { xmlParserOptions } from '../../src/codec/codec';
import { FragmentSyntaxError, FragmentTreeParser } from '../../src/codec/fragment';
import { compileSpec } from '../../src/codec/spec';
import { generateDemandes } from '../../src/synthetic';

const elements = loadElementTable();
const items = compileSpec(elements).itemNames;
const reference = new XMLParser(xmlParserOptions(items, 64));
const parser = new FragmentTreeParser({ items, maxDepth: 64 });
/** Both trees as plain JSON values (fast-xml-parser's objects and ours differ only in prototype). */
const plain = (v: unknown): unknown => JSON.parse(JSON.stringify(v));

function refusal(xml: string): FragmentSyntaxError {
  try {
    parser.parse(xml);
  } catch (e) {
    if (e instanceof FragmentSyntaxError) return e;
    throw e;
  }
  throw new Error('accepted');
}

describe('the fragment parser', () => {
  it('builds the same tree as fast-xml-parser for every demand of a synthetic dispatch document', () => {
    const codec = createInterfaceNuuCodec({ elements });
    const xml = codec.build({ versionInterface: '02.01', entete: { typeFichier: 'DIS', dateFichier: '2025-03-14T03:00:00+01:00' }, demandes: generateDemandes({ count: 400, seed: 'fragment-parser' }) });
    const splitter = codec.splitter({ detach: false });
    splitter.write(xml);
    splitter.end();
    const fragments = splitter.take();
    expect(fragments).toHaveLength(400);
    for (const f of fragments) expect(plain(parser.parse(f.xml))).toEqual(plain(reference.parse(f.xml)));
  });

  it.each([
    ['trimmed text, empty elements, attributes with and without text', '<d><a> x </a><b/><c code=" 1 "/><e code="2">t</e><f>  </f></d>'],
    ['namespace prefixes removed and declarations dropped', '<d xmlns="u" xmlns:s="v"><s:a s:x="1" y="2">v</s:a></d>'],
    ['text around child elements joined', '<d>pre<a>1</a>post<b>x<c>1</c>y<c>2</c>z</b></d>'],
    ['CDATA kept as is, comments and processing instructions skipped', '<d><a><![CDATA[ <x> & ]]></a><b>a<!-- c -->b</b><?pi x?></d>'],
    ['entity and character references', '<d><a>&amp;&#233;&#x41;&lt;&gt;&apos;</a><b c="&lt;&quot;"/><e> &#32;x </e></d>'],
    ['line ends normalised, attribute whitespace kept', '<d><a>a\r\nb\rc</a><b c="x\ny\tz"/></d>'],
    ['a repeated element becomes a list, whatever its values', '<d><a><b>1</b></a><a/><a>t</a><a k="v"/></d>'],
    ['item elements are lists even alone', '<d><listeCotitulaire><cotitulaire><nom>A</nom></cotitulaire></listeCotitulaire></d>'],
    ['single quotes, spaces inside tags, whitespace around the root', "\n <d ><a x = '1' >q</a ><b/></d> \n"],
    ['accented and non-Latin names and values', '<d><é>Hélène</é><名>王</名><a v="Ça va"/></d>'],
    ['text on both sides of a comment as one run', '<d><a>Jean <!-- x --> Pierre</a><b><c/> y <!--c--> z</b><e>x\n <!-- c -->\n y</e><f>a<?pi?> b</f></d>'],
    ['one local attribute name under two prefixes (the last one wins)', '<d><a p:x="1" q:x="2"/><b x="1" p:x="2"/></d>'],
  ])('builds the same tree as fast-xml-parser for %s', (_what, xml) => {
    expect(plain(parser.parse(xml))).toEqual(plain(reference.parse(xml)));
  });

  it.each([
    ['an end tag that does not match', '<d><a>1</b></d>', 7, 'does not match'],
    ['an attribute given twice', '<d><a x="1" x="2"/></d>', 12, 'twice'],
    ['an unquoted attribute value', '<d><a x=1/></d>', 8, 'quoted'],
    ['an attribute without a value', '<d><a x/></d>', 6, 'needs a value'],
    ["'<' in an attribute value", '<d><a x="<"/></d>', 8, "'<'"],
    ['text after the root element', '<d/>tail', 4, 'outside the root'],
    ['a second root element', '<d/><e/>', 4, 'after the root'],
    ['a root never closed', '<d><a>1</a>', 11, 'not closed'],
    ['a document type declaration', '<!DOCTYPE d [<!ENTITY e "x">]><d>&e;</d>', 0, 'not allowed'],
    ['an undefined entity', '<d><a>&e;</a></d>', 6, 'undefined entity'],
    ['a bare ampersand in an attribute', '<d><a x=" a & b"/></d>', 12, "'&'"],
    ['an entity named after an object member', '<d><a>x&constructor;</a></d>', 7, 'undefined entity'],
    ['an entity named __proto__', '<d><a>&__proto__;</a></d>', 6, 'undefined entity'],
    ['attributes not separated by white space', '<d><a x="1"y="2"/></d>', 11, 'white space'],
    ['a character XML forbids', '<d><a>x\u0001</a></d>', 7, 'U+0001 is not allowed'],
    ['a name XML forbids', '<d><1a/></d>', 3, 'name'],
    ['a prototype-polluting name', '<d><__proto__>1</__proto__></d>', 3, 'reserved'],
    ['no element at all', '  ', 0, 'no root'],
  ])('refuses %s, saying where', (_what, xml, at, reason) => {
    const e = refusal(xml);
    expect(e.at).toBe(at);
    expect(e.reason).toContain(reason);
  });

  it('refuses elements nested deeper than its limit', () => {
    const shallow = new FragmentTreeParser({ items, maxDepth: 5 });
    expect(() => shallow.parse(`${'<a>'.repeat(6)}${'</a>'.repeat(6)}`)).toThrow(/deeper than 5/);
    expect(() => shallow.parse(`${'<a>'.repeat(5)}${'</a>'.repeat(5)}`)).not.toThrow();
  });

  it('never accepts what fast-xml-parser refuses, and agrees with it on what both accept (generated mutations)', () => {
    const base = '<demandeLogement><numUnique>0350123456789A</numUnique><demandeur><nom a="1">Éa</nom><listeCotitulaire><cotitulaire>x</cotitulaire></listeCotitulaire></demandeur></demandeLogement>';
    const piece = fc.constantFrom('<', '>', '/', '&', '&amp;', '&#1;', '"', "'", '=', ' ', '<a>', '</a>', '<b/>', ']]>', '<!--', '-->', 'é', 'x="1"', ':');
    fc.assert(
      fc.property(fc.nat({ max: base.length }), fc.nat({ max: 8 }), fc.array(piece, { maxLength: 4 }), (at, cut, inserted) => {
        const xml = base.slice(0, at) + inserted.join('') + base.slice(Math.min(base.length, at + cut));
        let ours: unknown;
        try {
          ours = plain(parser.parse(xml));
        } catch (e) {
          return e instanceof FragmentSyntaxError;
        }
        return isDeepStrictEqual(ours, plain(reference.parse(xml)));
      }),
      { numRuns: 3_000, seed: 20_261_127 },
    );
  });
});
