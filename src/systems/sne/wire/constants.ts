/**
 * Fixed facts of the SNE web service ("interface privative", domain.md §3): namespaces, operations, the
 * children of each operation's body element in their required order, and the MIME layout of requests.
 * Everything the official WSDL/XSD could correct lives here, so aligning with them touches one file.
 */

export const SOAP12_NS = 'http://www.w3.org/2003/05/soap-envelope';
/** Accepted in responses only: a proxy in front of the service may answer in SOAP 1.1. */
export const SOAP11_NS = 'http://schemas.xmlsoap.org/soap/envelope/';
export const XOP_NS = 'http://www.w3.org/2004/08/xop/include';
/** Namespace of the operations' body elements and of the `contentType` attribute. */
export const SNE_SERVICE_NS = 'http://ws.metier.nuu.application.i2/';
/** Namespace of the demand document (`interfaceNuu`). */
export const SNE_DATA_NS = 'http://nuu.application.i2/';
/** Path of the service under the base URL. */
export const SNE_ENDPOINT_PATH = '/services/DemandeLogementImplService/';

export const SneOperation = {
  getNumUnique: 'getNumUnique',
  getDemandeLogement: 'getDemandeLogement',
  getDoublons: 'getDoublons',
  getNouveauxDaloDepuisLe: 'getNouveauxDaloDepuisLe',
  getDemandesRadieesDepuisLe: 'getDemandesRadieesDepuisLe',
} as const;
export type SneOperation = (typeof SneOperation)[keyof typeof SneOperation];
export const SNE_OPERATIONS: readonly SneOperation[] = Object.values(SneOperation);

/** `getNumUnique` is the single write entry (domain.md §3); every other operation only reads. */
export function isWriteOperation(operation: SneOperation): boolean {
  return operation === SneOperation.getNumUnique;
}

/**
 * SOAP 1.2 action of an operation: the service namespace followed by the operation name. An SPTA that
 * speaks the SNE protocol under its own service namespace passes it (its profile names it).
 */
export function soapAction(operation: SneOperation, serviceNamespace: string = SNE_SERVICE_NS): string {
  return `${serviceNamespace}${operation}`;
}

/** A child of a body element: a text value, or a binary attachment carried by an `xop:Include`. */
export type ChildKind = 'text' | 'attachment';
export interface ChildSpec {
  readonly name: string;
  readonly kind: ChildKind;
  /** For attachments: the value of the `contentType` attribute (service namespace). */
  readonly contentType?: string;
}

export const FICHIER_DEMANDE_CONTENT_TYPE = 'text/xml';
export const CERTIFICAT_CONTENT_TYPE = 'application/x-x509-ca-cert';

const nomFichierDemande: ChildSpec = { name: 'nomFichierDemande', kind: 'text' };
const fichierDemande: ChildSpec = { name: 'fichierDemande', kind: 'attachment', contentType: FICHIER_DEMANDE_CONTENT_TYPE };
const nomCertificat: ChildSpec = { name: 'nomCertificat', kind: 'text' };
const certificat: ChildSpec = { name: 'certificat', kind: 'attachment', contentType: CERTIFICAT_CONTENT_TYPE };

export interface OperationSpec {
  readonly operation: SneOperation;
  /** Local name of the body element, in the service namespace. */
  readonly element: string;
  /** Its unqualified children, in the only order the service accepts. */
  readonly children: readonly ChildSpec[];
}

export const OPERATION_SPECS: Readonly<Record<SneOperation, OperationSpec>> = {
  getNumUnique: {
    operation: 'getNumUnique',
    element: 'numUniqueParametres',
    children: [nomFichierDemande, fichierDemande, nomCertificat, certificat],
  },
  getDemandeLogement: {
    operation: 'getDemandeLogement',
    element: 'demandeLogementParametres',
    children: [{ name: 'numUnique', kind: 'text' }, nomCertificat, certificat],
  },
  getDoublons: {
    operation: 'getDoublons',
    element: 'rechercheDoublonsParametres',
    children: [nomFichierDemande, fichierDemande],
  },
  getNouveauxDaloDepuisLe: {
    operation: 'getNouveauxDaloDepuisLe',
    element: 'nouveauxDaloDepuisLeParametres',
    children: [{ name: 'dateNouveauDaloDepuisLe', kind: 'text' }, nomCertificat, certificat],
  },
  getDemandesRadieesDepuisLe: {
    operation: 'getDemandesRadieesDepuisLe',
    element: 'demandesRadieesDepuisLeParametres',
    children: [{ name: 'dateRadiationDepuisLe', kind: 'text' }, nomCertificat, certificat],
  },
};

/** The operation whose body element has this local name, if any. */
export function operationOfElement(localName: string): SneOperation | undefined {
  return SNE_OPERATIONS.find((op) => OPERATION_SPECS[op].element === localName);
}

/**
 * MIME layout of a request. The root part's type is [sure] (domain.md §3); the transfer encodings and the
 * certificate part's type are [likely] (the only public client used `8bit` for the root part).
 */
export const MIME_LAYOUT = {
  rootContentType: 'application/xop+xml; charset=UTF-8; type="application/soap+xml"',
  rootTransferEncoding: '8bit',
  fichierDemandeContentType: 'text/xml; charset=UTF-8',
  certificatContentType: CERTIFICAT_CONTENT_TYPE,
  attachmentTransferEncoding: 'binary',
  /** Suffix of generated Content-IDs (RFC 2392 wants `id@domain`). */
  contentIdDomain: 'passerelle',
} as const;

/** Media types a plain SOAP answer may come as (SOAP 1.2, or 1.1 from a proxy). */
export const XML_CONTENT_TYPES = ['application/soap+xml', 'text/xml', 'application/xml'] as const;

/** Size limits: a request to the service is one demand; a "since" answer can list many demands. */
export const DEFAULT_MAX_REQUEST_BYTES = 20 * 1024 * 1024;
export const DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024 * 1024;
