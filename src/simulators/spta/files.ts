/**
 * The file-exchange robot of a simulated SPTA (`transport: files`): it picks up each demand file the
 * gateway drops in `<dropDir>/<outDir>/` (`DEM...xml`, in name order, `.tmp` files ignored), hands it to
 * the simulated service exactly as a `getNumUnique` call (same checks, same store, same duplicate
 * detection), and answers with a return file `RET...xml` in `<dropDir>/<inDir>/` (written as `.tmp`,
 * then renamed): the answer document with `typeFichier` RET, or, for a file the service cannot read at
 * all, a document whose anomaly carries the service's fault text and no code. The processed file is moved
 * to `<dropDir>/<outDir>/processed/`.
 *
 * The service's fault injection applies to the HTTP side only; the robot calls the service directly.
 */
import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  buildSneRequest,
  formatSneDateTime,
  nameTimestamp,
  parseSneResponse,
  SNE_TIME_ZONE,
} from '../../systems/sne/wire';
import { escapeXmlAttribute, escapeXmlText } from '../../systems/sne/wire/xml';
import { returnFileName } from '../../systems/spta/files';
import type { SimulatorLogger } from '../common/logger';
import type { SneService } from '../sne/service';

export interface FileRobotOptions {
  service: SneService;
  /** The folders: `out` (read), `in` (returns written), `processed` (read files moved to). */
  folders: { out: string; in: string; processed: string };
  /** The service namespace requests are built in (the profile's). */
  serviceNamespace: string;
  /** Desk code of the simulated SPTA: in the certificate name the robot presents to its own service. */
  guichet: string;
  versionInterface: string;
  pollMs: number;
  logger: SimulatorLogger;
  clock: () => Date;
  timeZone?: string;
}

const PLACEHOLDER = '-----BEGIN CERTIFICATE-----\nU1BUQSBGSUxFIFJPQk9U\n-----END CERTIFICATE-----\n';

export class FileRobot {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  /** Passes run one at a time, whoever asks (the timer or a test's `tick()`). */
  private chain: Promise<unknown> = Promise.resolve();
  private stopped = false;
  /** Files answered since the start. */
  processed = 0;

  constructor(private readonly options: FileRobotOptions) {}

  start(): void {
    this.schedule(0);
  }

  /** Stops polling and waits for the file in hand; idempotent. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }

  /** One pass over the folder now (also what the timer runs), after any pass in progress. */
  tick(): Promise<number> {
    const pass = this.chain.then(() => this.pass());
    this.chain = pass.catch(() => undefined);
    return pass;
  }

  private async pass(): Promise<number> {
    const { folders } = this.options;
    let names: string[];
    try {
      names = (await readdir(folders.out)).filter((n) => /^DEM.*\.xml$/.test(n)).sort();
    } catch {
      // No out folder yet: the gateway has not written anything.
      return 0;
    }
    let n = 0;
    for (const name of names) {
      if (this.stopped) break;
      await this.answer(name);
      n++;
    }
    return n;
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.tick().then(
        () => this.schedule(this.options.pollMs),
        (e: unknown) => {
          this.options.logger.warn('SPTA file robot pass failed', { code: (e as { code?: unknown } | null)?.code });
          this.schedule(this.options.pollMs);
        },
      );
    }, ms);
    this.timer.unref();
  }

  private async answer(name: string): Promise<void> {
    const { folders, service, clock } = this.options;
    const tz = this.options.timeZone ?? SNE_TIME_ZONE;
    const file = await readFile(join(folders.out, name));
    let ret: string;
    try {
      const request = buildSneRequest(
        {
          operation: 'getNumUnique',
          nomFichierDemande: name,
          fichierDemande: file,
          nomCertificat: `CER${this.options.guichet}-${nameTimestamp(clock(), tz)}.pem`,
          certificat: PLACEHOLDER,
        },
        { serviceNamespace: this.options.serviceNamespace },
      );
      const built = await service.handle(request.contentType, request.body);
      const parsed = parseSneResponse(built.contentType, built.body, { operation: 'getNumUnique' });
      ret =
        parsed.kind === 'interfaceNuu'
          ? asReturn(parsed.xml)
          : this.faultDocument(parsed.kind === 'fault' ? parsed.fault.reason : 'the service gave no answer', clock(), tz);
    } catch (e) {
      // A file name the service would refuse: answered like a fault.
      const message = e instanceof Error ? e.message : 'the file could not be handled';
      ret = this.faultDocument(message, clock(), tz);
    }
    await mkdir(folders.in, { recursive: true });
    const target = join(folders.in, returnFileName(name));
    await writeFile(`${target}.tmp`, ret, 'utf8');
    await rename(`${target}.tmp`, target);
    await mkdir(folders.processed, { recursive: true });
    await rename(join(folders.out, name), join(folders.processed, name));
    this.processed++;
  }

  private faultDocument(reason: string, at: Date, tz: string): string {
    return (
      '<?xml version="1.0" encoding="UTF-8"?>\n' +
      `<interfaceNuu xmlns="http://nuu.application.i2/" versionInterface="${escapeXmlAttribute(this.options.versionInterface)}">\n` +
      `  <entete>\n    <typeFichier>RET</typeFichier>\n    <dateFichier>${formatSneDateTime(at, tz)}</dateFichier>\n  </entete>\n` +
      `  <demande>\n    <demandeLogement>\n      <listeAnomalie>\n        <anomalie>${escapeXmlText(reason)}</anomalie>\n      </listeAnomalie>\n    </demandeLogement>\n  </demande>\n` +
      '</interfaceNuu>\n'
    );
  }
}

/** The service's answer as a return file: the same document, `typeFichier` RET. */
function asReturn(xml: string): string {
  return xml.replace(/<((?:[A-Za-z_][\w.-]*:)?typeFichier)>[^<]*<\/\1>/, '<$1>RET</$1>');
}
