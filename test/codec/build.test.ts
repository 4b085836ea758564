import { CodecError, CodecErrorCode, createInterfaceNuuCodec, TypeFichier } from '../../src/codec';
import type { Demande } from '../../src/domain';
import { codec, elements, fixture, generate, header } from './support';

function buildError(f: () => unknown): CodecError {
  try {
    f();
  } catch (e) {
    if (e instanceof CodecError) return e;
    throw e;
  }
  throw new Error('built without error');
}

/** The same object with its keys in reverse order, at every level. */
function reversedKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(reversedKeys);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).reverse().map(([k, x]) => [k, reversedKeys(x)]));
  return v;
}

describe('building interfaceNuu documents', () => {
  const demandes = generate(41, 40, true);

  it('is deterministic: same demands, same bytes, whatever the key order of the input objects', () => {
    const a = codec.build({ ...header, demandes });
    const b = createInterfaceNuuCodec({ elements }).build({ ...header, demandes: reversedKeys(demandes) as Demande[] });
    expect(b).toBe(a);
    expect(a.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<interfaceNuu xmlns="http://nuu.application.i2/" versionInterface="02.01">\n')).toBe(true);
    expect(a.endsWith('</interfaceNuu>\n')).toBe(true);
  });

  it('writes the known elements in the order of the skeleton', () => {
    const xml = fixture('full.xml').toString('utf8');
    const order = ['numGuichet', 'numUnique', 'dateCreationDemande', 'personnePhysique', 'demandeur', 'listePersonneACharge', 'personneANaitre', 'listePersonneEnGarde', 'listeCotitulaire', 'logementActuel', 'logementRecherche'];
    const positions = order.map((name) => xml.indexOf(`<${name}>`));
    expect(positions.every((p) => p > 0)).toBe(true);
    expect([...positions].sort((x, y) => x - y)).toEqual(positions);
  });

  it('leaves out absent elements and empty lists, but keeps the list that carries the dependants resources block', () => {
    const [d] = generate(42, 1);
    const { telPortable: _phone, ...demandeur } = d!.demandeur;
    const bare: Demande = {
      ...d!,
      cotitulaires: [],
      personnesACharge: [],
      personnesEnGarde: [],
      motifs: [],
      labels: [],
      contingents: [],
      ressourcesPersonnesACharge: { recues: [], versees: [] },
      demandeur: { ...demandeur, ressourcesRecues: [], ressourcesVersees: [] },
    };
    const xml = codec.build({ ...header, demandes: [bare] });
    for (const absent of ['listeCotitulaire', 'listePersonneACharge', 'listeMotif', 'listeLabel', 'listeContingent', 'listeRessourceRecue>', 'telPortable', 'listeRessourceVerseePersACharge']) {
      expect(xml).not.toContain(absent);
    }
    expect(xml).toContain('<listeRessourceRecuePersACharge/>');
    const [back] = codec.parse(xml).demandes;
    expect(back?.ok && back.demande).toEqual(bare);
  });

  it('escapes text and attributes, and keeps carriage returns, tabs and astral characters', () => {
    const [d] = generate(43, 1);
    const tricky = 'a & b < c > d " e \' f\r\ng\th 😀 ]]>';
    const demande = { ...d!, demandeur: { ...d!.demandeur, nom: tricky }, motifs: [{ code: '23', precision: tricky }] };
    const xml = codec.build({ ...header, demandes: [demande] });
    expect(xml).toContain('<nom>a &amp; b &lt; c &gt; d " e \' f&#13;\ng\th 😀 ]]&gt;</nom>');
    const [back] = codec.parse(xml).demandes;
    expect(back?.ok && back.demande.demandeur.nom).toBe(tricky);
    expect(back?.ok && back.demande.motifs).toEqual([{ code: '23', precision: tricky }]);
  });

  it('writes back the dispatch form it is given, and a namespace prefix when asked', () => {
    const b = codec.build({ ...header, demandes: demandes.slice(0, 3), form: 'demandeLogement' });
    expect(b.match(/<demande>/g)).toHaveLength(1);
    expect(b.match(/<demandeLogement>/g)).toHaveLength(3);
    expect(codec.parse(b).form).toBe('demandeLogement');
    const prefixed = createInterfaceNuuCodec({ elements, namespace: { uri: 'http://nuu.application.i2/', prefix: 'ns2' } });
    const p = prefixed.build({ ...header, demandes: demandes.slice(0, 2) });
    expect(p).toContain('<ns2:interfaceNuu xmlns:ns2="http://nuu.application.i2/" versionInterface="02.01">');
    expect(p).toContain('<ns2:numGuichet>');
    expect(p).not.toMatch(/<(?!\/|\?|ns2:)/);
    expect(codec.parse(p).demandes.map((d) => d.ok && d.demande)).toEqual(demandes.slice(0, 2));
  });

  it('refuses what it cannot write, naming the field and never the value', () => {
    const [d] = generate(44, 1);
    const control = buildError(() => codec.build({ ...header, demandes: [d!, { ...d!, demandeur: { ...d!.demandeur, nom: 'SECRET\u0001' } }] }));
    expect(control.code).toBe(CodecErrorCode.buildInvalid);
    expect(control.message).toContain('demandes[1].demandeur.nom');
    expect(control.message).not.toContain('SECRET');
    const lone = buildError(() => codec.build({ ...header, demandes: [{ ...d!, motifs: [{ code: '23', precision: 'x\uD800y' }] }] }));
    expect(lone.details.path).toBe('demandes[0].motifs[0].precision');
    const amount = buildError(() => codec.build({ ...header, demandes: [{ ...d!, demandeur: { ...d!.demandeur, ressourcesRecues: [{ code: 'SAL', montant: 12.5 }] } }] }));
    expect(amount.details.path).toBe('demandes[0].demandeur.ressourcesRecues[0].montant');
    expect(buildError(() => codec.build({ ...header, entete: { typeFichier: 'XXX' as TypeFichier, dateFichier: header.entete.dateFichier }, demandes: [] })).details.path).toBe('entete.typeFichier');
    expect(buildError(() => codec.build({ ...header, entete: { typeFichier: 'CRE', dateFichier: '2024-03-06' }, demandes: [] })).details.path).toBe('entete.dateFichier');
    expect(buildError(() => codec.build({ ...header, versionInterface: '', demandes: [] })).details.path).toBe('versionInterface');
  });

  it('exports the typeFichier codes', () => {
    expect(Object.keys(TypeFichier)).toEqual(['CRE', 'CRS', 'MOD', 'REN', 'RAD', 'SUP', 'DIS', 'RET', 'COP']);
  });
});

describe('file-level problems of a parsed document', () => {
  const minimal = fixture('minimal.xml').toString('utf8');

  it('reports a missing or odd header, and still reads the demands', () => {
    const parsed = codec.parse(
      minimal
        .replace(' versionInterface="02.01"', ' versionInterface="2.1"')
        .replace('<typeFichier>CRE</typeFichier>', '')
        .replace('2024-03-05T09:00:00+01:00', 'yesterday'),
    );
    expect(parsed.problems.map(({ path, rule }) => ({ path, rule }))).toEqual([
      { path: 'versionInterface', rule: 'format' },
      { path: 'entete.typeFichier', rule: 'required' },
      { path: 'entete.dateFichier', rule: 'datetime' },
    ]);
    expect(parsed.demandes[0]?.ok).toBe(true);
    expect(codec.parse(minimal.replace(/<entete>[\s\S]*<\/entete>/, '')).problems).toEqual([expect.objectContaining({ path: 'entete', rule: 'required' })]);
  });

  it('reports unknown elements and text around the demands, and a file mixing the two dispatch forms', () => {
    const demande = /<demande>[\s\S]*<\/demande>/.exec(minimal)![0];
    const twoInOne = demande.replace('</demandeLogement>', `</demandeLogement>${/<demandeLogement>[\s\S]*<\/demandeLogement>/.exec(demande)![0]}`);
    const xml = minimal.replace(demande, `${demande}\n  <signature>x</signature> stray text\n  ${twoInOne}`);
    const parsed = codec.parse(xml);
    expect(parsed.demandes).toHaveLength(3);
    expect(parsed.form).toBe('demande');
    expect(parsed.problems.map((p) => p.rule)).toEqual(['unknown-element', 'unexpected-text', 'mixed-form']);
  });

  it('reads an empty dispatch file as no demands', () => {
    const parsed = codec.parse(minimal.replace(/<demande>[\s\S]*<\/demande>/, '<demande/>'));
    expect(parsed).toMatchObject({ demandes: [], problems: [], form: 'demande' });
  });
});
