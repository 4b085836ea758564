import { ValidationError } from '../../src/errors';
import { CodecError, CodecErrorCode, createInterfaceNuuCodec, type CodecOptions } from '../../src/codec';
import { codec as sne, elements, generate, header } from './support';

/** A made-up SPTA dialect: a few elements renamed (root and list items too), a few codes translated. */
const dialect: CodecOptions = {
  elements,
  renames: {
    interfaceNuu: 'fluxSpta',
    demandeLogement: 'dossier',
    demandeur: 'titulaire',
    listeTypeLogement: 'typologies',
    typeLogement: 'typologie',
    detailRessource: 'ligneRessource',
    motif: 'raison',
  },
  codeTranslations: {
    civilite: { '1': 'MR', '2': 'MME', '3': 'MLLE' },
    typeLogement: { C: 'CH', T1: '1P', T2: '2P', T3: '3P', T4: '4P', T5: '5P', T6P: '6P+' },
    motifDemande: { '01': 'SDF', '23': 'AUTRE' },
  },
};

describe('dialects: element renames and code translations, both ways', () => {
  const codec = createInterfaceNuuCodec(dialect);
  const demandes = generate(21, 200, false);

  it('writes the dialect names and codes, and reads them back to the same canonical demands', () => {
    const xml = codec.build({ ...header, demandes });
    expect(xml).toContain('<fluxSpta xmlns=');
    expect(xml).toContain('<dossier>');
    expect(xml).toContain('<titulaire>');
    expect(xml).toMatch(/<typologies>\s*<typologie code="(CH|\dP\+?)"\/>/);
    expect(xml).not.toContain('<demandeur>');
    expect(xml).not.toContain('<listeTypeLogement>');
    expect(xml).not.toMatch(/<civilite code="[123]"\/>/);
    const back = codec.parse(xml);
    expect(back.demandes.map((d) => d.ok && d.demande)).toEqual(demandes);
  });

  it('translates a code of a list it covers and passes other codes through unchanged', () => {
    const [d] = generate(22, 1, true);
    const demande = { ...d!, demandeur: { ...d!.demandeur, civilite: '9' }, motifs: [{ code: '01' }, { code: '13' }] };
    const xml = codec.build({ ...header, demandes: [demande] });
    expect(xml).toContain('<civilite code="9"/>');
    expect(xml).toContain('<raison code="SDF"/>');
    expect(xml).toContain('<raison code="13"/>');
    const [back] = codec.parse(xml).demandes;
    expect(back?.ok && back.demande.motifs).toEqual([{ code: '01' }, { code: '13' }]);
    expect(back?.ok && back.warnings).toContainEqual(expect.objectContaining({ path: 'demandeur.civilite', rule: 'unknown-code', code: '9' }));
  });

  it('does not read the other format: the SNE codec refuses the dialect root, and the reverse', () => {
    const xml = codec.build({ ...header, demandes: demandes.slice(0, 1) });
    expect(() => sne.parse(xml)).toThrow(expect.objectContaining({ code: CodecErrorCode.notInterfaceNuu }));
    expect(() => codec.parse(sne.build({ ...header, demandes: demandes.slice(0, 1) }))).toThrow(CodecError);
  });

  it('streams a dialect file like an SNE one', async () => {
    const xml = codec.build({ ...header, demandes: demandes.slice(0, 20) });
    const items = [];
    for await (const item of codec.stream([Buffer.from(xml)])) items.push(codec.parseFragment(item.xml, item));
    expect(items.map((d) => d.ok && d.demande)).toEqual(demandes.slice(0, 20));
  });

  it('refuses a dialect whose translations are not one-to-one or whose renames make two siblings alike', () => {
    const bad = (o: Partial<CodecOptions>) => () => createInterfaceNuuCodec({ elements, ...o });
    expect(bad({ codeTranslations: { civilite: { '1': 'M', '2': 'M' } } })).toThrow(ValidationError);
    expect(bad({ renames: { nom: 'prenom' } })).toThrow(expect.objectContaining({ code: 'CODEC_OPTIONS_INVALID' }));
    expect(bad({ renames: { nom: 'ns:nom' } })).toThrow(ValidationError);
  });
});
