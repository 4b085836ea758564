/**
 * The file-exchange transport of an SPTA (`transport: files`): the `DemandSystem` port over a shared
 * folder (`dropDir`), laid out by the profile (`transport.files`):
 *
 * - **writes** (`submit`): the demand is written as a one-demand `interfaceNuu` file in the SPTA's dialect
 *   (same builder as the web service), named `DEM<guichet>-<YYYYMMDDHHMM>-<counter>.xml`, into
 *   `<dropDir>/<outDir>/` atomically (written as `.tmp`, synced, then linked under its name, never over an
 *   existing file). The SPTA answers each file with a **return** `RET<guichet>-<YYYYMMDDHHMM>-<counter>.xml`
 *   (the same name, `DEM` replaced by `RET`) in `<dropDir>/<inDir>/`: the demand as registered (with its
 *   numéro unique) or its anomalies (`listeAnomalie`, read as on the web service). `submit` waits for that
 *   return up to `timeoutMs`, then moves it to `<dropDir>/<doneDir>/`.
 *   - nothing could be written: transient `SPTA_DROP_WRITE` (nothing was delivered);
 *   - no return in time, or the client closed while waiting: ambiguous `SPTA_NO_RETURN` (the file was
 *     delivered and may be applied later; the caller must not resend blindly);
 *   - a return that cannot be read: ambiguous `SPTA_RETURN_UNREADABLE`;
 *   - anomalies: `SNE_ANOMALY`, classified with the SNE anomaly table, as on the web service.
 *   So this transport suits an SPTA whose exchange robot answers within `timeoutMs`; one that answers
 *   once a day leaves every write ambiguous.
 * - **reads** (`getDemande`, the two "since" services, `doublons`) have no file equivalent: they throw a
 *   permanent `SPTA_UNSUPPORTED` that says so. The SPTA's changes reach the gateway as dispatch files in
 *   `<dropDir>/<inDir>/` (`DEM...` files of type `DIS`), for a dispatch source reading the dialect.
 */
import { link, mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { CodecError, type InterfaceNuuCodec } from '../../codec';
import type { Demande } from '../../domain';
import { AmbiguousError, PermanentError, TransientError, ValidationError } from '../../errors';
import type { Logger } from '../../logging';
import type { DemandesDepuis, DemandSystem, Doublon, SubmitRequest, SubmitResult } from '../port';
import { createClockFileCounter, insertBlocks, SneClientErrorCode, type FileCounter } from '../sne/client';
import { classifyAnomalies, extractAnomalies, formatSneDateTime, nomFichierDemande, SNE_TIME_ZONE, SneErrorCode, type AnomalyTable } from '../sne/wire';
import { renameBlocks } from './dialect';
import { SptaErrorCode } from './errors';
import type { SptaProfile } from './profile';

export interface SptaFileClientOptions {
  /** `DemandSystem.id`: `spta:<id>`. */
  id: string;
  /** The exchange folder of the configuration (`spta[i].dropDir`). */
  dropDir: string;
  /** Folders inside `dropDir` (the profile's `transport.files`). */
  layout: SptaProfile['transport']['files'];
  /** Registration desk code of this gateway, in file names. */
  guichet: string;
  interfaceVersion: string;
  /** The dialect codec of the profile. */
  codec: InterfaceNuuCodec;
  /** The profile's renames, applied to extra blocks. */
  renames: Readonly<Record<string, string>>;
  anomalyTable: AnomalyTable;
  /** How long `submit` waits for the return file. */
  timeoutMs: number;
  /** How often the return is looked for (default 200 ms). */
  pollMs?: number;
  clock?: () => Date;
  counter?: FileCounter;
  timeZone?: string;
  logger?: Logger;
}

/** An SPTA reached by file exchange. */
export type SptaFileClient = DemandSystem & {
  /** The folders it writes to and reads from (absolute when `dropDir` is). */
  readonly folders: { out: string; in: string; done: string };
};

/** The return file answering a demand file: the same name with `RET` for `DEM`. */
export function returnFileName(demandFileName: string): string {
  return `RET${demandFileName.replace(/^DEM/, '')}`;
}

function fsCode(e: unknown): string {
  const c = (e as { code?: unknown } | null)?.code;
  return typeof c === 'string' ? c : 'unknown';
}

/** Creates the file-exchange client. Nothing touches the folders until a write. */
export function createSptaFileClient(options: SptaFileClientOptions): SptaFileClient {
  const { id, codec } = options;
  const clock = options.clock ?? (() => new Date());
  const timeZone = options.timeZone ?? SNE_TIME_ZONE;
  const counter = options.counter ?? createClockFileCounter({ clock, timeZone });
  const pollMs = options.pollMs ?? 200;
  const folders = {
    out: join(options.dropDir, options.layout.outDir),
    in: join(options.dropDir, options.layout.inDir),
    done: join(options.dropDir, options.layout.doneDir),
  };
  const closing = new AbortController();

  function unsupported(operation: string): PermanentError {
    return new PermanentError(
      SptaErrorCode.unsupported,
      `${id} is reached by file exchange, which has no ${operation}: its demands reach the gateway as dispatch files in ${options.layout.inDir}/`,
      { system: id, details: { operation, transport: 'files' } },
    );
  }

  /** Writes the file under its final name, atomically and never over another; transient when it cannot. */
  async function deliver(name: string, xml: string): Promise<void> {
    const tmp = join(folders.out, `${name}.tmp`);
    try {
      await mkdir(folders.out, { recursive: true });
      const h = await open(tmp, 'wx');
      try {
        await h.writeFile(xml, 'utf8');
        await h.sync();
      } finally {
        await h.close();
      }
      // A hard link fails when the name exists: an earlier file is never replaced.
      await link(tmp, join(folders.out, name));
    } catch (e) {
      throw new TransientError(SptaErrorCode.dropWrite, `${id}: the demand file could not be written into ${options.layout.outDir}/ (${fsCode(e)}); nothing was delivered`, {
        system: id,
        details: { file: name, code: fsCode(e) },
      });
    } finally {
      await unlink(tmp).catch(() => undefined);
    }
  }

  /** The return's text once it is there; ambiguous when it does not come in time. */
  async function awaitReturn(name: string, ret: string): Promise<string> {
    const deadline = Date.now() + options.timeoutMs;
    for (;;) {
      try {
        return await readFile(join(folders.in, ret), 'utf8');
      } catch (e) {
        if (fsCode(e) !== 'ENOENT') {
          throw new AmbiguousError(SptaErrorCode.returnUnreadable, `${id}: the return of a delivered file cannot be read (${fsCode(e)})`, { system: id, details: { file: name, return: ret } });
        }
      }
      const left = deadline - Date.now();
      if (closing.signal.aborted || left <= 0) {
        const why = closing.signal.aborted ? 'the client closed before its return came' : `no return came within ${options.timeoutMs} ms`;
        throw new AmbiguousError(SptaErrorCode.noReturn, `${id}: the demand file was delivered and ${why}; it may be applied later`, {
          system: id,
          details: { file: name, return: ret },
        });
      }
      await sleep(Math.min(pollMs, left), closing.signal);
    }
  }

  async function archive(ret: string): Promise<void> {
    try {
      await mkdir(folders.done, { recursive: true });
      await rename(join(folders.in, ret), join(folders.done, ret));
    } catch (e) {
      // The answer is read already; a return left in place is only clutter, said once.
      options.logger?.warn('spta return not archived', { system: id, file: ret, code: fsCode(e) });
    }
  }

  function unreadable(name: string, ret: string, rule: string): AmbiguousError {
    return new AmbiguousError(SptaErrorCode.returnUnreadable, `${id}: the return of a delivered file is not a readable document (${rule})`, {
      system: id,
      details: { file: name, return: ret, rule },
    });
  }

  return {
    id,
    folders,
    getDemande: () => Promise.reject(unsupported('getDemandeLogement')),
    radieesDepuis: (): Promise<DemandesDepuis> => Promise.reject(unsupported('getDemandesRadieesDepuisLe')),
    nouveauxDaloDepuis: (): Promise<DemandesDepuis> => Promise.reject(unsupported('getNouveauxDaloDepuisLe')),
    doublons: (_demande: Demande): Promise<Doublon[]> => Promise.reject(unsupported('getDoublons')),

    async submit(request: SubmitRequest): Promise<SubmitResult> {
      const { typeFichier, demande } = request;
      if (closing.signal.aborted) throw new PermanentError(SptaErrorCode.config, `${id}: the client is closed`, { system: id });
      const creation = typeFichier === 'CRE' || typeFichier === 'CRS';
      if (!creation && !demande.numUnique) {
        throw new ValidationError(SneErrorCode.requestInvalid, [{ path: 'demande.numUnique', rule: 'required', message: `numUnique is required for a ${typeFichier} file` }], { system: id });
      }
      const at = request.at ?? clock();
      const built = codec.build({ versionInterface: options.interfaceVersion, entete: { typeFichier, dateFichier: formatSneDateTime(at, timeZone) }, demandes: [demande] });
      let xml: string;
      try {
        xml = insertBlocks(built, renameBlocks(request.blocks ?? [], options.renames), codec.spec.structureQ.demandeLogement);
      } catch (e) {
        if (e instanceof ValidationError) throw new ValidationError(e.code, e.issues, { system: id });
        throw e;
      }
      const name = nomFichierDemande(options.guichet, at, await counter(at), timeZone);
      const ret = returnFileName(name);
      await deliver(name, xml);
      options.logger?.debug('spta file delivered', { system: id, typeFichier, file: name });

      const text = await awaitReturn(name, ret);
      await archive(ret);
      let anomalies;
      try {
        anomalies = extractAnomalies(text);
      } catch {
        throw unreadable(name, ret, 'xml');
      }
      const refused = classifyAnomalies(anomalies, options.anomalyTable, { operation: 'getNumUnique' });
      if (refused) {
        throw new (refused.errorClass === 'transient' ? TransientError : PermanentError)(refused.code, refused.message, {
          system: id,
          details: { ...refused.details, file: name },
        });
      }
      let returned;
      try {
        returned = codec.parse(text).demandes[0];
      } catch (e) {
        if (e instanceof CodecError) throw unreadable(name, ret, e.code);
        throw e;
      }
      const numUnique = (returned?.ok ? returned.demande.numUnique : returned?.numUnique) ?? demande.numUnique;
      if (!numUnique) {
        throw new AmbiguousError(SneClientErrorCode.noNumUnique, `${id}: a ${typeFichier} was answered without a numéro unique; it may have been registered`, {
          system: id,
          details: { typeFichier, file: name },
        });
      }
      return { numUnique, ...(returned?.ok ? { demande: returned.demande } : {}), anomalies: [] };
    },

    async close(): Promise<void> {
      closing.abort();
    },
  };
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) {
      resolve();
      return;
    }
    const t = setTimeout(done, ms);
    t.unref();
    function done(): void {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
