/**
 * What the simulated SNE does with one request: a strict reading of the request (the wire layer's
 * `parseSneRequest`, so what the real service refuses comes back as a SOAP fault), then the operation
 * against the store, answered in the same wire format (`buildSneResponse`).
 *
 * Business refusals come back the way the service sends them: the demand document with
 * `demande/demandeLogement/listeAnomalie/anomalie@code` (codes of `mappings/sne/anomalies.yaml`) and a
 * message naming the field and the rule, never a value. In particular:
 * - an unknown numéro unique on `getDemandeLogement` is anomaly `CTRL_DEM_0020` (the client reads it as
 *   "not found"); so is a modification of an unknown or deleted one;
 * - a file that is not well-formed XML is the service's generic "unexpected error" SOAP fault;
 * - unknown codes are refused (`CTRL_DEM_0031`): the simulator is stricter than the gateway, which
 *   passes them through.
 *
 * Resubmitting the same write (same file type, numéro unique and canonical content; for a creation the
 * same content) is answered as the first time, with the demand as it now stands, and counted as a
 * duplicate; nothing is applied. A content identical to an **earlier** write of the same demand and type
 * counts as a duplicate too (a late replay), so a test that returns a demand to an earlier state must
 * change some field.
 */
import { createHash } from 'node:crypto';
import type { DemandeResult, InterfaceNuuCodec, TypeFichier } from '../../codec';
import { CodecError } from '../../codec';
import type { ElementTable } from '../../codec';
import type { Demande } from '../../domain';
import { ValidationError, type Issue } from '../../errors';
import {
  buildSneFaultResponse,
  buildSneResponse,
  formatSneDateTime,
  NOM_CERTIFICAT_PATTERN,
  parseSneRequest,
  SNE_TIME_ZONE,
  zonedFields,
  type BuiltSneResponse,
  type ParsedSneRequest,
  type SnePackaging,
  type SneOperation,
} from '../../systems/sne/wire';
import { escapeXmlAttribute, escapeXmlText, parseXml, type XmlElement } from '../../systems/sne/wire/xml';
import { canonicalJson } from '../common/content-hash';
import { ChangeKind, type SneRecord, type SneStore } from './store';

/** Codes the simulator answers with (all present in `mappings/sne/anomalies.yaml`). */
export const SimAnomaly = {
  version: 'CTRL_DEM_0001',
  typeFichier: 'CTRL_DEM_0002',
  names: 'CTRL_DEM_0003',
  oneDemande: 'CTRL_DEM_0004',
  numUniqueOnCreation: 'CTRL_DEM_0005',
  guichet: 'CTRL_DEM_0010',
  unknown: 'CTRL_DEM_0020',
  radiated: 'CTRL_DEM_0021',
  notRadiated: 'CTRL_DEM_0022',
  radiationByRad: 'CTRL_DEM_0023',
  mandatory: 'CTRL_DEM_0030',
  code: 'CTRL_DEM_0031',
  sousMotif: 'CTRL_DEM_0032',
  format: 'CTRL_DEM_0034',
  commune: 'CTRL_DEM_0040',
  dates: 'CTRL_DEM_0050',
} as const;

/** The service's generic text for a file it cannot read (domain.md §3). */
export const UNEXPECTED_ERROR_TEXT = 'Une erreur inattendue est survenue lors du traitement de la demande';

/** File types `getNumUnique` accepts as writes. */
const WRITE_TYPES: ReadonlySet<string> = new Set(['CRE', 'CRS', 'MOD', 'REN', 'RAD', 'SUP']);
const SINCE_OPERATIONS: ReadonlySet<SneOperation> = new Set(['getNouveauxDaloDepuisLe', 'getDemandesRadieesDepuisLe']);

export interface SimAnomalyItem {
  code: string;
  message: string;
}

export interface SneServiceOptions {
  store: SneStore;
  codec: InterfaceNuuCodec;
  /** Names of the [open] blocks: where a radiation (and a reactivation, empty motif) is written. */
  elements: ElementTable;
  /** `versionInterface` values accepted (default 02.00 and 02.01); answers are written in the last one. */
  versions?: readonly string[];
  /** Registration desks allowed to write and to use the "since" services; any well-formed code when absent. */
  guichets?: readonly string[];
  clock?: () => Date;
  timeZone?: string;
  /** How answers are packaged (default MTOM with the document inline). */
  packaging?: SnePackaging;
  payloadAsAttachment?: boolean;
  /** Called after each applied change, before answering (the auto-dispatch). */
  onChange?: (record: SneRecord) => Promise<void>;
  /** Namespace of the operation elements and actions accepted and answered (default the SNE's). */
  serviceNamespace?: string;
  /**
   * Extra checks of a file sent to `getNumUnique` or `getDoublons`, on its raw tree: their anomalies
   * refuse it (an SPTA simulator refuses SNE-format names and codes in its dialect this way).
   */
  checkDocument?: (root: XmlElement) => SimAnomalyItem[];
}

interface Prepared {
  typeFichier: TypeFichier;
  demande: Demande;
  reactivation: boolean;
  blocks: Array<{ name: string; source: string }>;
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

function issueAnomaly(i: Issue): SimAnomalyItem {
  const message = `${i.path || '(demande)'}: ${i.message} [${i.rule}]`;
  if (i.path.endsWith('radiation.sousMotif') && i.rule !== 'unknown-code') return { code: SimAnomaly.sousMotif, message };
  if (i.rule === 'unknown-code') return { code: SimAnomaly.code, message };
  if (['invalid_type', 'required', 'too_small'].includes(i.rule)) return { code: SimAnomaly.mandatory, message };
  if (/commune/.test(i.path)) return { code: SimAnomaly.commune, message };
  return { code: SimAnomaly.format, message };
}

function dedupe(items: SimAnomalyItem[]): SimAnomalyItem[] {
  const seen = new Set<string>();
  return items.filter((a) => {
    const k = `${a.code}|${a.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** Dates that contradict each other (filing, renewal, radiation). */
function dateAnomalies(d: Demande): SimAnomalyItem[] {
  const out: SimAnomalyItem[] = [];
  if (d.dateDernierRenouvellement !== undefined && d.dateDernierRenouvellement < d.dateCreationDemande) {
    out.push({ code: SimAnomaly.dates, message: 'dateDernierRenouvellement: before dateCreationDemande [dates.order]' });
  }
  if (d.radiation !== undefined && d.radiation.date < d.dateCreationDemande) {
    out.push({ code: SimAnomaly.dates, message: 'radiation.date: before dateCreationDemande [dates.order]' });
  }
  return out;
}

function withoutRadiation(d: Demande): Demande {
  const { radiation: _drop, ...rest } = d;
  return rest;
}

export class SneService {
  private readonly store: SneStore;
  private readonly codec: InterfaceNuuCodec;
  private readonly versions: readonly string[];
  private readonly guichets: ReadonlySet<string> | undefined;
  private readonly clock: () => Date;
  private readonly timeZone: string;
  private readonly packaging: SnePackaging;
  private readonly payloadAsAttachment: boolean;
  private readonly onChange: ((record: SneRecord) => Promise<void>) | undefined;
  private readonly radiationNames: { element: string; motif: string };
  private readonly knownChildren: ReadonlySet<string>;
  private readonly answerVersion: string;
  private readonly serviceNamespace: string | undefined;
  private readonly checkDocument: ((root: XmlElement) => SimAnomalyItem[]) | undefined;

  constructor(options: SneServiceOptions) {
    this.store = options.store;
    this.codec = options.codec;
    this.versions = options.versions ?? ['02.00', '02.01'];
    this.guichets = options.guichets ? new Set(options.guichets) : undefined;
    this.clock = options.clock ?? (() => new Date());
    this.timeZone = options.timeZone ?? SNE_TIME_ZONE;
    this.packaging = options.packaging ?? 'mtom';
    this.payloadAsAttachment = options.payloadAsAttachment ?? false;
    this.onChange = options.onChange;
    this.radiationNames = radiationNamesOf(options.codec, options.elements);
    this.serviceNamespace = options.serviceNamespace;
    this.checkDocument = options.checkDocument;
    this.knownChildren = options.codec.spec.known;
    this.answerVersion = this.versions[this.versions.length - 1] ?? '02.01';
  }

  /** Answers one POST to the service endpoint. Never throws for a bad request: faults and anomalies. */
  async handle(contentType: string | undefined, body: Buffer): Promise<BuiltSneResponse> {
    let parsed: ParsedSneRequest;
    try {
      parsed = parseSneRequest(contentType, body, this.wireOptions());
    } catch (e) {
      if (!(e instanceof ValidationError)) throw e;
      const refused = this.certificateNameRefusal(contentType, body, e);
      if (refused) return refused;
      this.store.countFault();
      return buildSneFaultResponse({ code: 'Sender', subcode: 'RequeteInvalide', reason: e.message, ...this.wireOptions() });
    }
    this.store.countRequest(parsed.operation);
    const input = parsed.input;
    switch (input.operation) {
      case 'getDemandeLogement':
        return this.getDemandeLogement(input.numUnique);
      case 'getNouveauxDaloDepuisLe':
      case 'getDemandesRadieesDepuisLe': {
        const refused = this.checkCertificateName(input.operation, input.nomCertificat);
        if (refused) return refused;
        const date = input.operation === 'getNouveauxDaloDepuisLe' ? input.dateNouveauDaloDepuisLe : input.dateRadiationDepuisLe;
        const since = Date.parse(String(date));
        const records = input.operation === 'getNouveauxDaloDepuisLe' ? await this.store.daloDepuis(since) : await this.store.radieesDepuis(since);
        return this.answer(input.operation, 'DIS', records.map((r) => r.demande));
      }
      case 'getDoublons':
        return this.getDoublons(Buffer.from(input.fichierDemande));
      case 'getNumUnique':
        return this.getNumUnique(input.nomFichierDemande, Buffer.from(input.fichierDemande));
    }
  }

  // ---- operations --------------------------------------------------------------------------------

  private getDemandeLogement(numUnique: string): BuiltSneResponse {
    const record = this.store.get(numUnique);
    if (!record) {
      return this.anomalies('getDemandeLogement', [{ code: SimAnomaly.unknown, message: 'numUnique: unknown to the service [numUnique.known]' }], { numUnique });
    }
    return this.answer('getDemandeLogement', 'DIS', [record.demande]);
  }

  private async getDoublons(file: Buffer): Promise<BuiltSneResponse> {
    const operation = 'getDoublons';
    const extra = this.extraChecks(file);
    if (extra.length) return this.anomalies(operation, extra);
    let read;
    try {
      const splitter = this.codec.splitter();
      splitter.write(file.toString('utf8'));
      splitter.end();
      const fragments = splitter.take();
      if (fragments.length !== 1) {
        return this.anomalies(operation, [{ code: SimAnomaly.oneDemande, message: 'the file must carry exactly one demand [file.oneDemande]' }]);
      }
      read = this.codec.readFragment((fragments[0] as { xml: string }).xml);
    } catch (e) {
      if (e instanceof CodecError) return this.unexpectedError();
      throw e;
    }
    const demandeur = read.input.demandeur as Record<string, unknown> | undefined;
    const nom = typeof demandeur?.nom === 'string' ? demandeur.nom : undefined;
    const dateNaissance = typeof demandeur?.dateNaissance === 'string' ? demandeur.dateNaissance : undefined;
    if (!nom || !dateNaissance) {
      return this.anomalies(operation, [{ code: SimAnomaly.mandatory, message: 'demandeur.nom, demandeur.dateNaissance: needed to search duplicates [required]' }]);
    }
    const prenom = typeof demandeur?.prenom === 'string' ? demandeur.prenom : undefined;
    const exclude = typeof read.input.numUnique === 'string' ? read.input.numUnique : undefined;
    const found = await this.store.doublons(nom, prenom, dateNaissance, exclude);
    const items = found
      .map(
        (d) =>
          `  <doublon>\n    <numUnique>${escapeXmlText(d.numUnique)}</numUnique>\n    <listeCritere>\n` +
          d.criteres.map((c) => `      <critere code="${escapeXmlAttribute(c)}"/>\n`).join('') +
          '    </listeCritere>\n  </doublon>\n',
      )
      .join('');
    const xml = `<?xml version="1.0" encoding="UTF-8"?>\n<listeDoublons xmlns="http://nuu.application.i2/">\n${items}</listeDoublons>\n`;
    return this.respond(operation, xml);
  }

  private async getNumUnique(nomFichierDemande: string, file: Buffer): Promise<BuiltSneResponse> {
    const operation = 'getNumUnique';
    this.store.noteFileName(nomFichierDemande);
    const prepared = this.prepare(file);
    if ('fault' in prepared) return prepared.fault;
    if ('refused' in prepared) return this.refuse(prepared.refused, prepared.context);
    const { typeFichier, demande, reactivation, blocks } = prepared;
    const creation = typeFichier === 'CRE' || typeFichier === 'CRS';
    const content = canonicalJson({ demande, reactivation, blocks: blocks.map((b) => b.source) });
    const key = sha256(`${typeFichier}|${creation ? '' : (demande.numUnique ?? '')}|${content}`);

    const firstNumUnique = this.store.duplicateOf(key);
    if (firstNumUnique !== undefined) {
      this.store.recordDuplicate(typeFichier);
      const current = this.store.get(firstNumUnique);
      return this.answer(operation, typeFichier, [current?.demande ?? { ...demande, numUnique: firstNumUnique }]);
    }

    const context = { numGuichet: demande.numGuichet, ...(demande.numUnique ? { numUnique: demande.numUnique } : {}) };
    const write = { typeFichier, nomFichierDemande, blocks: blocks.map((b) => b.name) };
    const now = this.clock().toISOString();

    if (creation) {
      if (demande.numUnique !== undefined) {
        return this.refuse([{ code: SimAnomaly.numUniqueOnCreation, message: 'numUnique: must be absent on a creation [numUnique.absent]' }], context);
      }
      if (!/^[A-Z0-9]{5}$/.test(demande.numGuichet)) {
        return this.refuse([{ code: SimAnomaly.guichet, message: 'numGuichet: must be a 5-character desk code to number the demand [numGuichet.format]' }], context);
      }
      if (demande.radiation !== undefined) {
        return this.refuse([{ code: SimAnomaly.radiationByRad, message: 'radiation: a demand is radiated by a RAD file only [radiation.byRad]' }], context);
      }
      const numUnique = this.store.nextNumUnique(demande.dateCreationDemande, demande.numGuichet);
      const stored = { ...demande, numUnique };
      const dalo = demande.dalo?.dateDecision !== undefined;
      const record = this.store.put({ numUnique, demande: stored, ...(dalo ? { daloAt: now } : {}), origin: 'created' }, { ...write, numUnique, kind: ChangeKind.create }, key);
      return this.changed(operation, typeFichier, record);
    }

    const numUnique = demande.numUnique as string;
    const current = this.store.get(numUnique);
    if (!current) {
      const why = this.store.isDeleted(numUnique) ? 'deleted' : 'unknown to the service';
      return this.refuse([{ code: SimAnomaly.unknown, message: `numUnique: ${why} [numUnique.known]` }], context);
    }
    const radiated = current.demande.radiation !== undefined;
    switch (typeFichier) {
      case 'MOD':
      case 'REN': {
        if (radiated) return this.refuse([{ code: SimAnomaly.radiated, message: `numUnique: the demand is radiated, ${typeFichier} not allowed [state.radiated]` }], context);
        if (demande.radiation !== undefined) {
          return this.refuse([{ code: SimAnomaly.radiationByRad, message: 'radiation: a demand is radiated by a RAD file only [radiation.byRad]' }], context);
        }
        const record = this.store.put(
          { ...this.keep(current), demande, ...this.daloAfter(current, demande, now) },
          { ...write, numUnique, kind: typeFichier === 'MOD' ? ChangeKind.modify : ChangeKind.renew },
          key,
        );
        return this.changed(operation, typeFichier, record);
      }
      case 'RAD': {
        if (reactivation) {
          if (!radiated) return this.refuse([{ code: SimAnomaly.notRadiated, message: 'numUnique: the demand is not radiated, nothing to reactivate [state.notRadiated]' }], context);
          const { radiatedAt: _gone, ...rest } = this.keep(current);
          const record = this.store.put({ ...rest, demande: withoutRadiation(demande), ...this.daloAfter(current, demande, now) }, { ...write, numUnique, kind: ChangeKind.reactivate }, key);
          return this.changed(operation, typeFichier, record);
        }
        if (demande.radiation === undefined) {
          return this.refuse([{ code: SimAnomaly.mandatory, message: 'radiation: a RAD file needs a radiation motif (or an empty motif to reactivate) [radiation.required]' }], context);
        }
        if (radiated) return this.refuse([{ code: SimAnomaly.radiated, message: 'numUnique: the demand is already radiated [state.radiated]' }], context);
        const record = this.store.put(
          { ...this.keep(current), demande, radiatedAt: now, ...this.daloAfter(current, demande, now) },
          { ...write, numUnique, kind: ChangeKind.radiate },
          key,
        );
        return this.changed(operation, typeFichier, record);
      }
      case 'SUP': {
        this.store.remove(numUnique, { ...write, numUnique, kind: ChangeKind.remove }, key);
        return this.answer(operation, typeFichier, [current.demande]);
      }
      default:
        return this.refuse([{ code: SimAnomaly.typeFichier, message: 'entete.typeFichier: not a write of getNumUnique [typeFichier.write]' }], context);
    }
  }

  // ---- reading a write ---------------------------------------------------------------------------

  /**
   * Reads the file of a write: structure, header, one valid demand with known codes. The raw tree finds
   * what the codec does not map: the extra blocks (kept in the content identity and the log) and a
   * radiation with an empty motif (a reactivation, which the canonical model cannot hold).
   */
  private prepare(file: Buffer): Prepared | { fault: BuiltSneResponse } | { refused: SimAnomalyItem[]; context: Record<string, string> } {
    let text: string;
    let root: XmlElement;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(file);
      root = parseXml(text).root;
    } catch {
      return { fault: this.unexpectedError() };
    }
    const dls = root.children.filter((c) => c.local === 'demande').flatMap((d) => d.children.filter((c) => c.local === 'demandeLogement'));
    const dl = dls.length === 1 ? dls[0] : undefined;
    const blocks: Prepared['blocks'] = [];
    let reactivation = false;
    let cut: { start: number; end: number } | undefined;
    for (const child of dl?.children ?? []) {
      const motif = child.children.find((m) => m.local === this.radiationNames.motif);
      const code = motif?.attributes.find((a) => a.local === 'code' && a.ns === '')?.value;
      if (motif && code !== undefined && code.trim() === '') {
        reactivation = true;
        if (child.local === this.radiationNames.element) cut = { start: child.start, end: child.end };
      }
      if (!this.knownChildren.has(child.local)) {
        blocks.push({ name: child.local, source: text.slice(child.start, child.end).replace(/>\s+</g, '><').trim() });
      }
    }
    const foreign = this.checkDocument ? this.checkDocument(root) : [];
    const source = cut ? text.slice(0, cut.start) + text.slice(cut.end) : text;
    let parsed;
    try {
      parsed = this.codec.parse(source);
    } catch (e) {
      if (e instanceof CodecError) return { fault: this.unexpectedError() };
      throw e;
    }
    const problems: SimAnomalyItem[] = [...foreign];
    if (parsed.versionInterface === undefined || !this.versions.includes(parsed.versionInterface)) {
      problems.push({ code: SimAnomaly.version, message: `versionInterface: must be one of ${this.versions.join(', ')} [versionInterface.supported]` });
    }
    for (const p of parsed.problems) {
      if (p.path.startsWith('entete.typeFichier')) problems.push({ code: SimAnomaly.typeFichier, message: `${p.path}: ${p.message} [${p.rule}]` });
      else if (p.path.startsWith('entete.dateFichier') || p.path === 'entete') problems.push(issueAnomaly(p));
      else if (p.path !== 'versionInterface' && p.rule !== 'unknown-element') problems.push({ code: SimAnomaly.format, message: `${p.path}: ${p.message} [${p.rule}]` });
    }
    const typeFichier = parsed.entete.typeFichier;
    if (typeFichier !== undefined && !WRITE_TYPES.has(typeFichier) && !problems.some((p) => p.code === SimAnomaly.typeFichier)) {
      problems.push({ code: SimAnomaly.typeFichier, message: 'entete.typeFichier: not a write of getNumUnique (CRE CRS MOD REN RAD SUP) [typeFichier.write]' });
    }
    if (parsed.demandes.length !== 1) {
      problems.push({ code: SimAnomaly.oneDemande, message: `the file must carry exactly one demand, not ${parsed.demandes.length} [file.oneDemande]` });
    }
    const result: DemandeResult | undefined = parsed.demandes[0];
    const context: Record<string, string> = {};
    if (result && !result.ok && result.numUnique) context.numUnique = result.numUnique;
    if (result?.ok) {
      if (result.demande.numUnique) context.numUnique = result.demande.numUnique;
      context.numGuichet = result.demande.numGuichet;
      problems.push(...result.warnings.filter((w) => w.rule === 'unknown-code').map(issueAnomaly));
      problems.push(...dateAnomalies(result.demande));
      if (this.guichets && !this.guichets.has(result.demande.numGuichet)) {
        problems.push({ code: SimAnomaly.guichet, message: 'numGuichet: not a desk authorised by this service [numGuichet.authorised]' });
      }
    } else if (result) {
      problems.push(...result.issues.map(issueAnomaly));
    }
    if (problems.length || !result?.ok) return { refused: dedupe(problems), context };
    return { typeFichier: typeFichier as TypeFichier, demande: result.demande, reactivation, blocks };
  }

  /** `checkDocument` on a file that parses (one that does not is the codec's to refuse). */
  private extraChecks(file: Buffer): SimAnomalyItem[] {
    if (!this.checkDocument) return [];
    try {
      return this.checkDocument(parseXml(new TextDecoder('utf-8', { fatal: true }).decode(file)).root);
    } catch {
      // Not readable XML: the codec refuses it next, with the service's generic error.
      return [];
    }
  }

  // ---- certificate names on the "since" services -------------------------------------------------

  /** A "since" request whose only fault is its certificate name is refused with an anomaly, not a fault. */
  private certificateNameRefusal(contentType: string | undefined, body: Buffer, e: ValidationError): BuiltSneResponse | undefined {
    if (!e.issues.length || !e.issues.every((i) => i.rule === 'nomCertificat.format')) return undefined;
    let loose: ParsedSneRequest;
    try {
      loose = parseSneRequest(contentType, body, { checkValues: false, ...this.wireOptions() });
    } catch {
      return undefined;
    }
    if (!SINCE_OPERATIONS.has(loose.operation)) return undefined;
    this.store.countRequest(loose.operation);
    return this.anomalies(loose.operation, [{ code: SimAnomaly.names, message: 'nomCertificat: must read CER<guichet>-<YYYYMMDDHHMM>.pem [nomCertificat.format]' }]);
  }

  private checkCertificateName(operation: SneOperation, nomCertificat: string): BuiltSneResponse | undefined {
    const m = /^CER([A-Za-z0-9]+)-\d{12}\.pem$/.exec(nomCertificat);
    if (!m || !NOM_CERTIFICAT_PATTERN.test(nomCertificat)) {
      return this.anomalies(operation, [{ code: SimAnomaly.names, message: 'nomCertificat: must read CER<guichet>-<YYYYMMDDHHMM>.pem [nomCertificat.format]' }]);
    }
    if (this.guichets && !this.guichets.has(m[1] as string)) {
      return this.anomalies(operation, [{ code: SimAnomaly.names, message: 'nomCertificat: names a desk not authorised by this service [nomCertificat.guichet]' }]);
    }
    return undefined;
  }

  // ---- answers -----------------------------------------------------------------------------------

  /** What a change keeps of the record it replaces. */
  private keep(current: SneRecord): Omit<SneRecord, 'version' | 'updatedAt' | 'demande'> {
    return {
      numUnique: current.numUnique,
      origin: current.origin,
      ...(current.radiatedAt ? { radiatedAt: current.radiatedAt } : {}),
      ...(current.daloAt ? { daloAt: current.daloAt } : {}),
    };
  }

  /** A DALO decision that appears (or changes date) is a new recognition, dated now. */
  private daloAfter(current: SneRecord, demande: Demande, now: string): { daloAt?: string } {
    const before = current.demande.dalo?.dateDecision;
    const after = demande.dalo?.dateDecision;
    if (after !== undefined && after !== before) return { daloAt: now };
    return current.daloAt ? { daloAt: current.daloAt } : {};
  }

  private async changed(operation: SneOperation, typeFichier: TypeFichier, record: SneRecord): Promise<BuiltSneResponse> {
    if (this.onChange) await this.onChange(record);
    return this.answer(operation, typeFichier, [record.demande]);
  }

  private refuse(items: SimAnomalyItem[], context: Record<string, string>): BuiltSneResponse {
    this.store.countRefused(items.map((a) => a.code));
    return this.anomalies('getNumUnique', items, context, false);
  }

  private unexpectedError(): BuiltSneResponse {
    this.store.countFault();
    return buildSneFaultResponse({ code: 'Sender', reason: UNEXPECTED_ERROR_TEXT });
  }

  private dateFichier(): string {
    return formatSneDateTime(this.clock(), this.timeZone);
  }

  private answer(operation: SneOperation, typeFichier: TypeFichier, demandes: Demande[]): BuiltSneResponse {
    const xml = this.codec.build({ versionInterface: this.answerVersion, entete: { typeFichier, dateFichier: this.dateFichier() }, demandes });
    return this.respond(operation, xml);
  }

  private respond(operation: SneOperation, xml: string): BuiltSneResponse {
    return buildSneResponse({ operation, payload: xml, packaging: this.packaging, payloadAsAttachment: this.payloadAsAttachment, ...this.wireOptions() });
  }

  private wireOptions(): { serviceNamespace?: string } {
    return this.serviceNamespace === undefined ? {} : { serviceNamespace: this.serviceNamespace };
  }

  /** The demand document carrying anomalies (and the identifiers of the demand, when known). */
  anomalies(operation: SneOperation, items: SimAnomalyItem[], context: Record<string, string> = {}, count = true): BuiltSneResponse {
    if (count) this.store.countAnomalies(items.map((a) => a.code));
    const ids = ['numGuichet', 'numUnique']
      .filter((k) => context[k] !== undefined)
      .map((k) => `      <${k}>${escapeXmlText(context[k] as string)}</${k}>\n`)
      .join('');
    const list = items.map((a) => `        <anomalie code="${escapeXmlAttribute(a.code)}">${escapeXmlText(a.message)}</anomalie>\n`).join('');
    const xml =
      '<?xml version="1.0" encoding="UTF-8"?>\n' +
      `<interfaceNuu xmlns="http://nuu.application.i2/" versionInterface="${escapeXmlAttribute(this.answerVersion)}">\n` +
      `  <entete>\n    <typeFichier>RET</typeFichier>\n    <dateFichier>${this.dateFichier()}</dateFichier>\n  </entete>\n` +
      `  <demande>\n    <demandeLogement>\n${ids}      <listeAnomalie>\n${list}      </listeAnomalie>\n    </demandeLogement>\n  </demande>\n` +
      '</interfaceNuu>\n';
    return this.respond(operation, xml);
  }
}

/**
 * The names the radiation block is written under by this codec (a dialect may rename them), from its
 * compiled skeleton; the element table's names when the skeleton does not have the block.
 */
function radiationNamesOf(codec: InterfaceNuuCodec, elements: ElementTable): { element: string; motif: string } {
  const block = codec.spec.demandeLogement.find((f) => f.t === 'group' && f.key === 'radiation');
  const motif = block?.t === 'group' ? block.fields.find((f) => f.t === 'code' && f.key === 'motif') : undefined;
  if (block?.t === 'group' && motif?.t === 'code') return { element: block.w, motif: motif.w };
  return { element: elements.elements.radiation.element, motif: elements.elements.radiation.motif };
}

/** The calendar day of an instant in a time zone (`YYYY-MM-DD`). */
export function dayOf(date: Date, timeZone = SNE_TIME_ZONE): string {
  const z = zonedFields(date, timeZone);
  return `${z.year}-${String(z.month).padStart(2, '0')}-${String(z.day).padStart(2, '0')}`;
}
