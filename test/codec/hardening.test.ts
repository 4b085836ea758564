import { CodecError, CodecErrorCode, createInterfaceNuuCodec, type InterfaceNuuCodec } from '../../src/codec';
import { codec, elements, fixture, generate, header } from './support';

function refused(c: InterfaceNuuCodec, xml: string | Buffer): CodecError {
  try {
    c.parse(xml);
  } catch (e) {
    if (e instanceof CodecError) return e;
    throw e;
  }
  throw new Error('parsed without error');
}

const minimal = fixture('minimal.xml').toString('utf8');
/** The minimal document with something in place of the applicant's name. */
const withName = (nom: string): string => minimal.replace('<nom>Martin</nom>', `<nom>${nom}</nom>`);

describe('hardened parsing', () => {
  it('refuses any DTD: internal entities, external entities, a lone ENTITY declaration, any case', () => {
    const docs = [
      '<?xml version="1.0"?>\n<!DOCTYPE x [<!ENTITY a "b">]>\n<interfaceNuu/>',
      '<!DOCTYPE interfaceNuu SYSTEM "http://example.org/evil.dtd"><interfaceNuu/>',
      minimal.replace('<entete>', '<!ENTITY x SYSTEM "file:///etc/passwd"><entete>'),
      '<!doctype interfaceNuu><interfaceNuu/>',
    ];
    for (const xml of docs) expect(refused(codec, xml).code).toBe(CodecErrorCode.dtdForbidden);
  });

  it('decodes the five predefined entities and numeric references, and nothing else', () => {
    const d = codec.parse(withName('&lt;&gt;&amp;&quot;&apos; &#233;&#xE9;&#x1F600;')).demandes[0]!;
    expect(d.ok && d.demande.demandeur.nom).toBe('<>&"\' éé😀');
    for (const bad of ['&eacute;', '&nbsp;', '&#0;', '&#xD800;', '&#1;', '&;', '&#x;']) {
      const e = refused(codec, withName(`A ${bad} B`));
      expect(e.code).toBe(CodecErrorCode.malformed);
      expect(e.details).toMatchObject({ line: 14, column: 18 });
    }
  });

  it.each([
    ['U+0000', '\u0000'],
    ['U+0001', '\u0001'],
    ['U+001B', '\u001b'],
    ['U+000B', '\u000b'],
    ['U+FFFE', '\uFFFE'],
    ['U+FFFF', '\uFFFF'],
    ['U+D800', '\uD800'],
    ['U+DC00', '\uDC00'],
  ])('refuses %s, a character XML 1.0 forbids, with XML_MALFORMED at its position, naming it without quoting the text', (name, char) => {
    const e = refused(codec, withName(`SECRET${char}Zébulon`));
    expect(e.code).toBe(CodecErrorCode.malformed);
    expect(e.details).toMatchObject({ line: 14, column: 22 });
    expect(e.message).toContain(`character ${name} is not allowed`);
    expect(JSON.stringify(e.toJSON())).not.toMatch(/SECRET|Zébulon/);
  });

  it('refuses a forbidden character in an attribute value, a comment, or outside the demands as well', () => {
    const docs: Array<[string, number, number]> = [
      [minimal.replace('<civilite code="1"/>', '<civilite code="1\u001b"/>'), 13, 28],
      [minimal.replace('<nom>Martin</nom>', '<!-- \u0001 --><nom>Martin</nom>'), 14, 16],
      [minimal.replace(' versionInterface="02.01"', ' versionInterface="02.01\u0000"'), 2, 73],
      [minimal.replace('<typeFichier>CRE', '<typeFichier>CRE\u0007'), 4, 21],
    ];
    for (const [xml, line, column] of docs) {
      const e = refused(codec, xml);
      expect(e.code).toBe(CodecErrorCode.malformed);
      expect(e.details).toMatchObject({ line, column });
    }
  });

  it('reports the first fault in document order, a forbidden character or another', () => {
    const later = refused(codec, minimal.replace('<numGuichet>', '\u0002<numGuichet>').replace('</nom>', '</prenom>'));
    expect(later.details).toMatchObject({ line: 9, reason: 'character U+0002 is not allowed in XML' });
    const earlier = refused(codec, minimal.replace('</numGuichet>', '</numGuichets>').replace('<nom>Martin', '<nom>Martin\u0002'));
    expect(earlier.details).toMatchObject({ line: 9, reason: 'closing tag does not match the open element' });
  });

  it('accepts tab, line feed, carriage return and every other character XML allows, beyond U+FFFF too', () => {
    const d = codec.parse(withName('Zoë\t😀 \uE000\uFFFD\uD7FF 𐀀')).demandes[0]!;
    expect(d.ok && d.demande.demandeur.nom).toBe('Zoë\t😀 \uE000\uFFFD\uD7FF 𐀀');
  });

  it('parses ordinary text full of &amp;: no expansion limit applies to the predefined entities', () => {
    const many = 'Dupont &amp; Fils '.repeat(4);
    const demandes = generate(7, 1000).map((d) => ({ ...d, demandeur: { ...d.demandeur, nom: 'Dupont & Fils & Cie & Co' } }));
    let xml = codec.build({ ...header, demandes });
    // And one element the mapping ignores, holding 50,000 references on its own.
    xml = xml.replace('<numGuichet>', `<remarque>${'x &amp; y &#233; '.repeat(50_000)}</remarque><numGuichet>`);
    expect((xml.match(/&amp;/g) ?? []).length).toBeGreaterThan(52_000);
    const parsed = codec.parse(xml);
    expect(parsed.demandes.every((d) => d.ok)).toBe(true);
    expect(parsed.demandes[1]!.ok && parsed.demandes[1]!.demande.demandeur.nom).toBe('Dupont & Fils & Cie & Co');
    expect(codec.parse(withName(many.trim())).demandes[0]!.ok).toBe(true);
  });

  it('limits the document size (string and bytes), the depth and the size of one demand', () => {
    const small = createInterfaceNuuCodec({ elements, maxDocumentBytes: 1000 });
    expect(refused(small, minimal).code).toBe(CodecErrorCode.tooLarge);
    expect(refused(small, Buffer.from(minimal)).code).toBe(CodecErrorCode.tooLarge);
    expect(createInterfaceNuuCodec({ elements, maxDocumentBytes: 2000 }).parse(minimal).demandes).toHaveLength(1);

    const deep = minimal.replace('<numGuichet>', `${'<x>'.repeat(70)}${'</x>'.repeat(70)}<numGuichet>`);
    const e = refused(codec, deep);
    expect(e.code).toBe(CodecErrorCode.tooDeep);
    expect(e.details).toMatchObject({ maxDepth: 64, line: 9 });
    expect(createInterfaceNuuCodec({ elements, maxDepth: 100 }).parse(deep).demandes[0]!.ok).toBe(true);

    const big = withName('x'.repeat(5000));
    expect(refused(createInterfaceNuuCodec({ elements, maxFragmentLength: 4000 }), big).code).toBe(CodecErrorCode.tooLarge);
  });

  it('refuses every truncation of a document: a cut file never parses as a shorter one', () => {
    const end = minimal.lastIndexOf('>');
    const cuts: number[] = [];
    for (let i = 0; i <= end; i++) {
      try {
        codec.parse(minimal.slice(0, i));
        cuts.push(i);
      } catch (e) {
        expect(e).toBeInstanceOf(CodecError);
      }
    }
    expect(cuts).toEqual([]);
  });

  it.each([
    ['a closing tag that does not match', minimal.replace('</nom>', '</prenom>'), 'does not match'],
    ['a second root', `${minimal}<interfaceNuu/>`, 'more than one root'],
    ['text after the root', `${minimal}trailing`, 'outside the root'],
    ['an unquoted attribute', minimal.replace('code="1"', 'code=1'), 'attribute syntax'],
    ['a repeated attribute', minimal.replace('code="1"', 'code="1" code="2"'), 'repeated attribute'],
    ["'<' inside a tag", minimal.replace('<civilite code="1"/>', '<civilite <code="1"/>'), "'<' inside a tag"],
    ['an invalid element name', minimal.replace('<nom>', '<1nom>').replace('</nom>', '</1nom>'), 'element name'],
    ['an XML declaration in the middle', minimal.replace('<entete>', '<?xml version="1.0"?><entete>'), 'declaration'],
    ['an unterminated comment', `${minimal.slice(0, 200)}<!-- never closed`, 'unterminated'],
    ['a reserved property name (prototype pollution attempt)', minimal.replace('<numGuichet>', '<__proto__><a>1</a></__proto__><numGuichet>'), 'reserved name'],
  ])('refuses %s with XML_MALFORMED and a position', (_what, xml, reason) => {
    const e = refused(codec, xml);
    expect(e.code).toBe(CodecErrorCode.malformed);
    expect(e.message).toContain(reason);
    expect(e.details.line).toEqual(expect.any(Number));
    expect(e.details.column).toEqual(expect.any(Number));
    expect(({} as Record<string, unknown>).a).toBeUndefined();
  });

  it('names position and rule, never content, in its errors', () => {
    const secret = 'Zébulon-SECRET-0612345678';
    const docs = [
      withName(`${secret} & ${secret}`),
      withName(`${secret}</prenom>`),
      withName(`${secret} &${secret};`),
      minimal.replace('<nom>Martin</nom>', `<nom a="${secret}" a="${secret}">x</nom>`),
    ];
    for (const xml of docs) {
      const e = refused(codec, xml);
      expect(JSON.stringify(e.toJSON())).not.toContain('SECRET');
      expect(e.message).not.toContain('Zébulon');
    }
  });

  it('reads UTF-8 with or without a byte-order mark, and refuses invalid byte sequences', () => {
    const bom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(minimal)]);
    expect(codec.parse(bom).demandes[0]!.ok).toBe(true);
    expect(codec.parse(`\uFEFF${minimal}`).demandes[0]!.ok).toBe(true);
    const latin1 = Buffer.from(withName('Hervé'), 'latin1');
    expect(refused(codec, latin1).code).toBe(CodecErrorCode.encoding);
  });

  it('keeps postcodes and phones as written: values are never turned into numbers', () => {
    const [d] = generate(9, 1);
    const demande = { ...d!, demandeur: { ...d!.demandeur, telPortable: '0612345678', adressePostale: { codePostal: '01000', commune: { code: '01053' } } } };
    const back = codec.parse(codec.build({ ...header, demandes: [demande] })).demandes[0]!;
    expect(back.ok && back.demande.demandeur.adressePostale).toEqual({ codePostal: '01000', commune: { code: '01053' } });
    expect(back.ok && back.demande.demandeur.telPortable).toBe('0612345678');
  });
});

describe('mapping problems are issues with a path and a rule, never exceptions', () => {
  const issuesOf = (xml: string) => {
    const [d] = codec.parse(xml).demandes;
    if (d?.ok !== false) throw new Error('expected a quarantined demand');
    return d.issues.map(({ path, rule }) => ({ path, rule }));
  };

  it.each([
    ['an element repeated where one is expected', minimal.replace('<nom>Martin</nom>', '<nom>A</nom><nom>B</nom>'), 'demandeur.nom', 'repeated-element'],
    ['a code written as text', minimal.replace('<civilite code="1"/>', '<civilite>1</civilite>'), 'demandeur.civilite', 'code-attribute'],
    ['text where an element with children is expected', minimal.replace(/<demandeur>[\s\S]*<\/demandeur>/, '<demandeur>x</demandeur>'), 'demandeur', 'element-expected'],
    ['child elements where a value is expected', minimal.replace('<nom>Martin</nom>', '<nom><x/></nom>'), 'demandeur.nom', 'text-expected'],
    ['a wanted commune without its commune element', minimal.replace('<commune code="35238"/>', ''), 'logementRecherche.communes[0]', 'required'],
    ['a whole number too large to be exact', minimal.replace('<nationalite code="1"/>', '<nationalite code="1"/><revenuFiscal><montantMoins1>99999999999999999999</montantMoins1></revenuFiscal>'), 'demandeur.revenuFiscal.montantMoins1', 'integer'],
  ])('%s', (_what, xml, path, rule) => {
    expect(issuesOf(xml)).toContainEqual({ path, rule });
  });

  it('an empty code is kept for validation to report; a nil element counts as absent', () => {
    expect(issuesOf(minimal.replace('<civilite code="1"/>', '<civilite/>'))).toContainEqual({ path: 'demandeur.civilite', rule: 'too_small' });
    const [d] = codec.parse(minimal.replace('<nationalite code="1"/>', '<nationalite code="1"/><situationFamiliale xsi:nil="true"/>')).demandes;
    expect(d?.ok && d.demande.demandeur.situationFamiliale).toBeUndefined();
  });
});
