/**
 * What a profile changes besides the transport: the dialect codec (both ways), the names of extra blocks,
 * the codes of event blocks for the push pipeline, and the system stamped on errors.
 */
import { loadElementTable } from '../../../src/codec';
import { validateEvenement, type Evenement } from '../../../src/domain';
import { AmbiguousError, PermanentError, TransientError, ValidationError } from '../../../src/errors';
import { generateDemande } from '../../../src/synthetic';
import { createSptaCodec, loadSptaProfile, renameBlocks, restamp, sptaTranslate } from '../../../src/systems/spta';
import { attributionPayload, evt, testTables } from '../../mapping/support';

const elements = loadElementTable();
const profile = loadSptaProfile('ille-et-vilaine');
const codec = createSptaCodec(profile, elements);
const header = { versionInterface: '02.01', entete: { typeFichier: 'CRE' as const, dateFichier: '2025-03-01T10:00:00.0+01:00' } };

describe('the dialect of an SPTA profile', () => {
  const demandes = Array.from({ length: 40 }, (_, i) => generateDemande('spta-dialect', i, { mode: 'creation' }));

  it('writes the renamed elements and translated codes, and reads them back to the same canonical demands', () => {
    const xml = codec.build({ ...header, demandes });
    expect(xml).toContain('<demandeurPrincipal>');
    expect(xml).not.toContain('<demandeur>');
    expect(xml).not.toContain('<listeLocalisationSouhaite>');
    expect(xml).toMatch(/<situationFamiliale code="(CELIB|MARIE|DIVORCE|SEPARE|PACSE|CONCUB|VEUF)"\/>/);
    expect(xml).not.toMatch(/<situationFamiliale code="[CMDSPUV]"\/>/);
    expect(codec.parse(xml).demandes.map((d) => d.ok && d.demande)).toEqual(demandes);
  });

  it('keeps the framing of the document in SNE names, where the wire layer looks for it', () => {
    const xml = codec.build({ ...header, demandes: demandes.slice(0, 1) });
    expect(xml).toMatch(/<interfaceNuu [^>]*versionInterface="02.01">/);
    expect(xml).toContain('<demandeLogement>');
  });

  it('renames extra blocks as it renames the demand, deep, and leaves other names alone', () => {
    const blocks = [{ name: 'logementActuel', children: [{ name: 'mel', text: 'x' }, { name: 'surface', text: '40' }] }, { name: 'decisionCal', attributes: { code: 'ATT' } }];
    expect(renameBlocks(blocks, profile.renames)).toEqual([
      { name: 'logementOccupe', children: [{ name: 'courriel', text: 'x' }, { name: 'surface', text: '40' }] },
      { name: 'decisionCal', attributes: { code: 'ATT' } },
    ]);
    expect(blocks[0]?.name).toBe('logementActuel');
  });

  it("translates the codes of an event's block for the push pipeline, with the profile's tables", async () => {
    const r = validateEvenement(evt('attribution', attributionPayload()));
    if (!r.ok) throw new Error('test event invalid');
    const withTypes = { codeTranslations: { ...profile.codeTranslations, typeReservataire: { PPRIOR: 'ETAT_PRIO' }, ouiNon: { OUI: 'O', NON: 'N' } } };
    const t = await sptaTranslate(withTypes)(r.evenement as Evenement, testTables(), {});
    if (!t.ok || !t.transmit) throw new Error('expected a translation to send');
    const codes = (t.block?.children ?? []).filter((c) => c.list === 'typeReservataire' || c.list === 'ouiNon').map((c) => c.attributes?.code);
    expect(codes).toEqual(['ETAT_PRIO', 'O', 'N', 'O', 'N']);
  });

  it('stamps the SPTA on an error of the SNE protocol, keeping its class, code, details and Retry-After', () => {
    const transient = restamp(new TransientError('SNE_RATE_LIMITED', 'SNE: 429', { system: 'sne', retryAfterSeconds: 17, details: { operation: 'getNumUnique' } }), 'spta:35');
    expect(transient).toBeInstanceOf(TransientError);
    expect(transient).toMatchObject({ code: 'SNE_RATE_LIMITED', system: 'spta:35', retryAfterSeconds: 17, details: { operation: 'getNumUnique' } });
    expect(restamp(new AmbiguousError('SNE_TIMEOUT_AFTER_SEND', 'x', { system: 'sne' }), 'spta:35')).toMatchObject({ errorClass: 'ambiguous', system: 'spta:35' });
    expect(restamp(new PermanentError('SNE_AUTH', 'x', { system: 'sne' }), 'spta:35')).toMatchObject({ errorClass: 'permanent', code: 'SNE_AUTH' });
    const invalid = restamp(new ValidationError('SNE_REQUEST_INVALID', [{ path: 'p', rule: 'r', message: 'm' }], { system: 'sne' }), 'spta:35');
    expect(invalid).toBeInstanceOf(ValidationError);
    expect(invalid).toMatchObject({ issues: [{ path: 'p', rule: 'r', message: 'm' }], system: 'spta:35' });
    const foreign = new Error('not ours');
    expect(restamp(foreign, 'spta:35')).toBe(foreign);
  });
});
