/**
 * The SNE wire layer: SOAP 1.2 / XOP-MTOM requests and responses, the HTTPS transport with mutual TLS,
 * error classification and business anomalies. The SNE client is written on top of it.
 */
export * from './constants';
export * from './errors';
export * from './naming';
export * from './request';
export * from './response';
export * from './classify';
export * from './anomalies';
export * from './transport';
export { parseMediaType, parseMultipart, normaliseContentId, type MediaType, type MimePart } from './mime';
