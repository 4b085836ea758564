import {
  NOM_CERTIFICAT_PATTERN,
  NOM_FICHIER_DEMANDE_PATTERN,
  SNE_DATE_TIME_PATTERN,
  formatSneDateTime,
  nameTimestamp,
  nomCertificat,
  nomFichierDemande,
  zonedFields,
} from '../../../src/systems/sne/wire';
import { ValidationError } from '../../../src/errors';

describe('SNE date-times', () => {
  it('formats an instant in French winter time with offset and a one-digit fraction', () => {
    expect(formatSneDateTime(new Date('2017-01-13T13:55:43.500Z'))).toBe('2017-01-13T14:55:43.5+01:00');
  });

  it('formats an instant in French summer time with +02:00, as the service example', () => {
    expect(formatSneDateTime(new Date('2017-06-13T12:55:43.500Z'))).toBe('2017-06-13T14:55:43.5+02:00');
  });

  it('keeps milliseconds without trailing zeros and writes .0 on a whole second', () => {
    expect(formatSneDateTime(new Date('2024-03-01T10:00:00.123Z'))).toBe('2024-03-01T11:00:00.123+01:00');
    expect(formatSneDateTime(new Date('2024-03-01T10:00:00.120Z'))).toBe('2024-03-01T11:00:00.12+01:00');
    expect(formatSneDateTime(new Date('2024-03-01T10:00:00.000Z'))).toBe('2024-03-01T11:00:00.0+01:00');
  });

  it('follows the daylight saving switch of Europe/Paris, not the host zone', () => {
    // 31 March 2024: 02:00 local (01:00Z) jumps to 03:00.
    expect(formatSneDateTime(new Date('2024-03-31T00:59:59.900Z'))).toBe('2024-03-31T01:59:59.9+01:00');
    expect(formatSneDateTime(new Date('2024-03-31T01:00:00.000Z'))).toBe('2024-03-31T03:00:00.0+02:00');
    // 27 October 2024: 03:00 local (01:00Z) falls back to 02:00.
    expect(formatSneDateTime(new Date('2024-10-27T00:30:00.000Z'))).toBe('2024-10-27T02:30:00.0+02:00');
    expect(formatSneDateTime(new Date('2024-10-27T01:30:00.000Z'))).toBe('2024-10-27T02:30:00.0+01:00');
  });

  it('crosses midnight and the new year in local time', () => {
    expect(formatSneDateTime(new Date('2023-12-31T23:30:00.000Z'))).toBe('2024-01-01T00:30:00.0+01:00');
  });

  it('formats for another zone when asked (overseas territories)', () => {
    expect(formatSneDateTime(new Date('2024-01-01T12:00:00.000Z'), 'America/Martinique')).toBe('2024-01-01T08:00:00.0-04:00');
    expect(zonedFields(new Date('2024-01-01T12:00:00.000Z'), 'Indian/Reunion').offsetMinutes).toBe(240);
  });

  it('produces strings that match the pattern the request checker applies', () => {
    for (const iso of ['2017-01-13T13:55:43.500Z', '2024-07-01T00:00:00.000Z', '1999-12-31T23:59:59.999Z']) {
      expect(formatSneDateTime(new Date(iso))).toMatch(SNE_DATE_TIME_PATTERN);
    }
  });

  it('refuses an invalid date', () => {
    expect(() => formatSneDateTime(new Date('not a date'))).toThrow(ValidationError);
  });
});

describe('SNE file and certificate names', () => {
  const at = new Date('2017-01-13T13:55:43.500Z');

  it('names a demand file DEM<guichet>-<YYYYMMDDHHMM>-<6-digit counter>.xml in Paris time', () => {
    expect(nomFichierDemande('G1226', at, 1)).toBe('DEMG1226-201701131455-000001.xml');
    expect(nomFichierDemande('G1226', at, 999999)).toBe('DEMG1226-201701131455-999999.xml');
    expect(nomFichierDemande('G1226', at, 0)).toMatch(NOM_FICHIER_DEMANDE_PATTERN);
  });

  it('names a certificate CER<guichet>-<YYYYMMDDHHMM>.pem', () => {
    expect(nomCertificat('G1226', at)).toBe('CERG1226-201701131455.pem');
    expect(nomCertificat('GDPUB', at)).toMatch(NOM_CERTIFICAT_PATTERN);
  });

  it('uses the local date of the instant for the timestamp', () => {
    expect(nameTimestamp(new Date('2023-12-31T23:30:00.000Z'))).toBe('202401010030');
  });

  it('refuses a counter outside 0..999999 and a guichet code with other characters', () => {
    expect(() => nomFichierDemande('G1226', at, 1_000_000)).toThrow(/counter/);
    expect(() => nomFichierDemande('G1226', at, -1)).toThrow(ValidationError);
    expect(() => nomFichierDemande('G1226', at, 1.5)).toThrow(ValidationError);
    expect(() => nomCertificat('G 12/26', at)).toThrow(/guichet/);
    expect(() => nomCertificat('', at)).toThrow(ValidationError);
  });
});
