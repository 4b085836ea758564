import fc from 'fast-check';
import { buildSneRequest, parseMediaType, parseMultipart, parseSneRequest } from '../../../src/systems/sne/wire';
import { WireFormatError } from '../../../src/systems/sne/wire/errors';
import { escapeXmlAttribute, escapeXmlText, parseXml, standaloneSource } from '../../../src/systems/sne/wire/xml';

function rule(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(WireFormatError);
    return (e as WireFormatError).rule;
  }
  throw new Error('accepted');
}

describe('the strict XML reader', () => {
  it('resolves namespaces, decodes entities and CDATA, and keeps offsets', () => {
    const src = '<?xml version="1.0"?>\n<!-- c --><a xmlns="urn:d" xmlns:p="urn:p"><p:b p:x="1 &amp;&#10;2" y=\'v\'>t&lt;<![CDATA[<raw>]]></p:b><c/></a>';
    const { root } = parseXml(src);
    expect(root).toMatchObject({ local: 'a', ns: 'urn:d' });
    const b = root.children[0]!;
    expect(b).toMatchObject({ qname: 'p:b', local: 'b', ns: 'urn:p', text: 't<<raw>' });
    expect(b.attributes).toEqual([
      { qname: 'p:x', prefix: 'p', local: 'x', ns: 'urn:p', value: '1 &\n2' },
      { qname: 'y', prefix: '', local: 'y', ns: '', value: 'v' },
    ]);
    expect(src.slice(b.start, b.openEnd)).toBe('<p:b p:x="1 &amp;&#10;2" y=\'v\'>');
    expect(root.children[1]).toMatchObject({ local: 'c', ns: 'urn:d', selfClosing: true });
  });

  it('refuses what a hostile or broken document could hold', () => {
    expect(rule(() => parseXml('<!DOCTYPE a SYSTEM "file:///etc/passwd"><a/>'))).toBe('doctype.forbidden');
    expect(rule(() => parseXml('<a>&custom;</a>'))).toBe('entity.undeclared');
    expect(rule(() => parseXml('<a>a & b</a>'))).toBe('entity.malformed');
    expect(rule(() => parseXml('<a>&#0;</a>'))).toBe('char.forbidden');
    expect(rule(() => parseXml('<a>\u0001</a>'))).toBe('char.forbidden');
    expect(rule(() => parseXml('<a><b></a>'))).toBe('tag.mismatch');
    expect(rule(() => parseXml('<a/><b/>'))).toBe('root.multiple');
    expect(rule(() => parseXml('<a x="1" x="2"/>'))).toBe('attribute.duplicate');
    expect(rule(() => parseXml('<a x="1"y="2"/>'))).toBe('attribute.separator');
    expect(rule(() => parseXml('<p:a/>'))).toBe('namespace.undeclared');
    expect(rule(() => parseXml('<constructor:a/>'))).toBe('namespace.undeclared');
    expect(rule(() => parseXml('<a>'))).toBe('element.unclosed');
    expect(rule(() => parseXml('text<a/>'))).toBe('text.outsideRoot');
    expect(rule(() => parseXml('<a/><?xml version="1.0"?>'))).toBe('xmlDecl.position');
    expect(rule(() => parseXml(`${'<a>'.repeat(300)}${'</a>'.repeat(300)}`))).toBe('depth.limit');
    expect(rule(() => parseXml(''))).toBe('document.empty');
  });

  it('cuts an element out standalone, with the declarations it inherits and uses', () => {
    const src = '<e:Env xmlns:e="urn:e" xmlns="urn:d" xmlns:x="urn:x" xmlns:unused="urn:u"><e:Body><doc x:a="1"><x:k/></doc></e:Body></e:Env>';
    const doc = parseXml(src);
    const el = doc.root.children[0]!.children[0]!;
    const text = standaloneSource(doc, el);
    expect(text).toBe('<doc xmlns="urn:d" xmlns:x="urn:x" x:a="1"><x:k/></doc>');
    expect(parseXml(text).root).toMatchObject({ local: 'doc', ns: 'urn:d' });
  });

  it('round-trips any text through the escapers', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), (s) => {
        // eslint-disable-next-line no-control-regex -- removing the characters XML forbids
        const clean = s.replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, '');
        const { root } = parseXml(`<a v="${escapeXmlAttribute(clean)}">${escapeXmlText(clean)}</a>`);
        expect(root.text).toBe(clean);
        expect(root.attributes[0]?.value).toBe(clean);
      }),
    );
  });
});

describe('MIME pieces', () => {
  it('reads media type parameters, quoted or not, in any case', () => {
    expect(parseMediaType('Multipart/Related; TYPE="application/xop+xml"; start=<r@x>; boundary="a\\"b"; x=1')).toEqual({
      type: 'multipart/related',
      params: { type: 'application/xop+xml', start: '<r@x>', boundary: 'a"b', x: '1' },
    });
    expect(() => parseMediaType('text')).toThrow(/no type\/subtype/);
    expect(() => parseMediaType('text/xml; charset')).toThrow(/charset has no "="/);
    expect(() => parseMediaType('text/xml; a=1; A=2')).toThrow(/repeated/);
  });

  it('splits parts, ignoring preamble and epilogue, and unfolds headers', () => {
    const body = Buffer.from('pre\r\n--b\r\nContent-Type: text/plain;\r\n charset=utf-8\r\nContent-ID: <1@x>\r\n\r\none\r\n--b\r\n\r\ntwo\r\n--b--\r\nepilogue');
    const parts = parseMultipart(body, 'b', { strict: true });
    expect(parts.map((p) => p.body.toString())).toEqual(['one', 'two']);
    expect(parts[0]).toMatchObject({ contentType: 'text/plain; charset=utf-8', contentId: '1@x', index: 1 });
  });

  it('does not take a longer line for the boundary', () => {
    const parts = parseMultipart(Buffer.from('--b\r\n\r\nx\r\n--bb\r\n--b--'), 'b');
    expect(parts.map((p) => p.body.toString())).toEqual(['x\r\n--bb']);
  });

  it('refuses a body without boundary, an unsupported encoding and too many parts', () => {
    expect(rule(() => parseMultipart(Buffer.from('nothing'), 'b'))).toBe('multipart.noBoundary');
    expect(rule(() => parseMultipart(Buffer.from('--b\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nx\r\n--b--'), 'b'))).toBe('part.transferEncoding');
    expect(rule(() => parseMultipart(Buffer.from('--b\r\n\r\n1\r\n--b\r\n\r\n2\r\n--b--'), 'b', { maxParts: 1 }))).toBe('multipart.tooManyParts');
    expect(rule(() => parseMultipart(Buffer.from('--b\r\nno colon here\r\n\r\nx\r\n--b--'), 'b'))).toBe('part.header');
  });
});

describe('request round trip on arbitrary values', () => {
  it('reads back whatever valid numUnique and attachment bytes it built', () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^[!-~]{1,18}$/),
        fc.uint8Array({ minLength: 1, maxLength: 2000 }),
        (numUnique, bytes) => {
          const input = { operation: 'getDemandeLogement' as const, numUnique, nomCertificat: 'CERG1-201701131455.pem', certificat: Buffer.from(bytes) };
          const built = buildSneRequest(input);
          expect(parseSneRequest(built.contentType, built.body).input).toEqual(input);
        },
      ),
      { numRuns: 200 },
    );
  });
});
