/** Synthetic SNE material for the wire tests (no real person, no real certificate). */

/** A small creation file, UTF-8 with accents, LF line ends (carried untouched inside the multipart). */
export const DEMANDE_XML = [
  '<?xml version="1.0" encoding="UTF-8"?>',
  '<interfaceNuu xmlns="http://nuu.application.i2/" versionInterface="02.01">',
  '  <entete><typeFichier>CRE</typeFichier><dateFichier>2017-01-13T14:55:43.5+01:00</dateFichier></entete>',
  '  <demande><demandeLogement><numGuichet>G1226</numGuichet><dateCreationDemande>2017-01-13</dateCreationDemande>',
  '    <personnePhysique><demandeur><nom>Testé</nom><prenom>Zoé</prenom></demandeur></personnePhysique>',
  '  </demandeLogement></demande>',
  '</interfaceNuu>',
  '',
].join('\n');

/** Looks like a PEM; is not a certificate. */
export const CERT_PEM = ['-----BEGIN CERTIFICATE-----', 'TUlJQ2VzdFVuRmF1eENlcnRpZmljYXQ=', '-----END CERTIFICATE-----', ''].join('\n');

export const FIXED_IDS = {
  boundary: 'MIMEBoundary_test',
  root: 'root.test@passerelle',
  fichierDemande: 'fichierDemande.test@passerelle',
  certificat: 'certificat.test@passerelle',
};

/** Joins lines with CRLF, the line end of every MIME and envelope line. */
export const crlf = (...lines: string[]): string => lines.join('\r\n');
