/**
 * Dispatch files (`DIS`) of the simulated SNE: the demands of its stock written as `interfaceNuu` files
 * into a folder, the way the gateway's dispatch source expects them (domain.md §3).
 *
 * - Streamed: a file is written demand by demand through a 1 MiB buffer, never as one string (the whole
 *   stock of 300,000 demands is about 1.5 GB).
 * - Atomic: written as `<name>.tmp`, synced, then renamed, so a reader never sees half a file.
 * - Named `DEM<guichet>-<YYYYMMDDHHMM>-<counter>.xml` with the clock-seeded counter of the SNE client,
 *   and never over an existing file: names sort in writing order, which keeps each demand's changes in
 *   order for a reader that takes files by name.
 * - Both repetition forms of domain.md §4: one `demande` per demand (default) or one `demande` holding
 *   every `demandeLogement`.
 */
import { constants } from 'node:fs';
import { access, mkdir, open, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { DispatchForm, InterfaceNuuCodec } from '../../codec';
import type { Demande } from '../../domain';
import { createClockFileCounter, type FileCounter } from '../../systems/sne/client';
import { formatSneDateTime, nomFichierDemande, SNE_TIME_ZONE } from '../../systems/sne/wire';

export interface DispatchWriterOptions {
  codec: InterfaceNuuCodec;
  /** Desk code in the file names (the simulator's own). */
  guichet: string;
  versionInterface: string;
  clock?: () => Date;
  counter?: FileCounter;
  timeZone?: string;
}

export interface WriteDispatchOptions {
  dir: string;
  form?: DispatchForm;
  /** Demands per file (default: all in one file). */
  perFile?: number;
}

export interface WrittenDispatchFile {
  name: string;
  demandes: number;
  bytes: number;
}

const FLUSH_BYTES = 1 << 20;

async function exists(path: string): Promise<boolean> {
  try {
    await access(path, constants.F_OK);
    return true;
  } catch {
    // Absent (or unreachable, which the write itself will report).
    return false;
  }
}

/** Writes dispatch files of demands; one instance per simulator (it owns the name counter). */
export class DispatchWriter {
  private readonly codec: InterfaceNuuCodec;
  private readonly guichet: string;
  private readonly versionInterface: string;
  private readonly clock: () => Date;
  private readonly counter: FileCounter;
  private readonly timeZone: string;

  constructor(options: DispatchWriterOptions) {
    this.codec = options.codec;
    this.guichet = options.guichet;
    this.versionInterface = options.versionInterface;
    this.clock = options.clock ?? (() => new Date());
    this.timeZone = options.timeZone ?? SNE_TIME_ZONE;
    this.counter = options.counter ?? createClockFileCounter({ clock: this.clock, timeZone: this.timeZone });
  }

  /** Writes `demandes` (any iterable, consumed once) into files of at most `perFile` demands. */
  async write(demandes: Iterable<Demande>, options: WriteDispatchOptions): Promise<WrittenDispatchFile[]> {
    const perFile = options.perFile ?? Number.POSITIVE_INFINITY;
    if (!(perFile >= 1)) throw new Error('perFile must be at least 1');
    const form = options.form ?? 'demande';
    await mkdir(options.dir, { recursive: true });
    const files: WrittenDispatchFile[] = [];
    let current: FileInProgress | undefined;
    try {
      for (const d of demandes) {
        if (!current) current = await this.startFile(options.dir, form);
        await current.add(d);
        if (current.count >= perFile) {
          files.push(await current.finish());
          current = undefined;
        }
      }
      if (current) files.push(await current.finish());
    } catch (e) {
      await current?.abandon();
      throw e;
    }
    return files;
  }

  private async startFile(dir: string, form: DispatchForm): Promise<FileInProgress> {
    const at = this.clock();
    let name = nomFichierDemande(this.guichet, at, await this.counter(at), this.timeZone);
    while ((await exists(join(dir, name))) || (await exists(join(dir, `${name}.tmp`)))) {
      name = nomFichierDemande(this.guichet, at, await this.counter(at), this.timeZone);
    }
    const file = new FileInProgress(this.codec, dir, name, form, { versionInterface: this.versionInterface, dateFichier: formatSneDateTime(at, this.timeZone) });
    await file.open();
    return file;
  }
}

class FileInProgress {
  count = 0;
  private bytes = 0;
  private handle: Awaited<ReturnType<typeof open>> | undefined;
  private buffer: string[] = [];
  private buffered = 0;
  private readonly head: string;
  private readonly tail: string;
  private readonly tmp: string;

  constructor(
    private readonly codec: InterfaceNuuCodec,
    private readonly dir: string,
    private readonly name: string,
    private readonly form: DispatchForm,
    private readonly header: { versionInterface: string; dateFichier: string },
  ) {
    this.tmp = join(dir, `${name}.tmp`);
    const empty = this.buildOne([]);
    this.tail = `</${codec.spec.structureQ.root}>\n`;
    if (!empty.endsWith(this.tail)) throw new Error('the codec wrote an unexpected document end');
    this.head = empty.slice(0, empty.length - this.tail.length);
  }

  async open(): Promise<void> {
    this.handle = await open(this.tmp, 'wx');
    this.push(this.head);
    if (this.form === 'demandeLogement') this.push(`  <${this.codec.spec.structureQ.demande}>\n`);
  }

  async add(d: Demande): Promise<void> {
    // The codec writes whole documents: cut the demand out of a one-demand document of the same header.
    const one = this.buildOne([d]);
    if (!one.startsWith(this.head) || !one.endsWith(this.tail)) throw new Error('the codec wrote an unexpected document layout');
    let part = one.slice(this.head.length, one.length - this.tail.length);
    if (this.form === 'demandeLogement') {
      // `  <demande>\n` + the demandeLogement + `  </demande>\n`: keep the demandeLogement only.
      part = part.slice(part.indexOf('\n') + 1, part.lastIndexOf('  </'));
    }
    this.push(part);
    this.count++;
    if (this.buffered >= FLUSH_BYTES) await this.flush();
  }

  async finish(): Promise<WrittenDispatchFile> {
    if (this.form === 'demandeLogement') this.push(`  </${this.codec.spec.structureQ.demande}>\n`);
    this.push(this.tail);
    await this.flush();
    const h = this.handle as NonNullable<typeof this.handle>;
    await h.sync();
    await h.close();
    this.handle = undefined;
    await rename(this.tmp, join(this.dir, this.name));
    return { name: this.name, demandes: this.count, bytes: this.bytes };
  }

  async abandon(): Promise<void> {
    await this.handle?.close();
    this.handle = undefined;
    await unlink(this.tmp).catch(() => undefined);
  }

  private buildOne(demandes: Demande[]): string {
    return this.codec.build({ versionInterface: this.header.versionInterface, entete: { typeFichier: 'DIS', dateFichier: this.header.dateFichier }, demandes, form: this.form });
  }

  private push(text: string): void {
    this.buffer.push(text);
    this.buffered += text.length;
  }

  private async flush(): Promise<void> {
    if (!this.buffer.length) return;
    const data = Buffer.from(this.buffer.join(''), 'utf8');
    this.buffer = [];
    this.buffered = 0;
    await (this.handle as NonNullable<typeof this.handle>).write(data);
    this.bytes += data.length;
  }
}

