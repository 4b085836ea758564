/**
 * `startSptaSimulator`: a strict stand-in of one SPTA on loopback. It is the SNE simulator speaking the
 * SPTA's profile: its dialect (renames and code translations, both ways, in answers and dispatch files),
 * its own service path and namespace, its own stock and numéros uniques, and strict about the dialect
 * (SNE names or codes the dialect spells otherwise are refused, see ./strict.ts). With `files`, a robot
 * also answers the demand files dropped in an exchange folder (./files.ts).
 */
import { join } from 'node:path';
import { loadElementTable } from '../../codec';
import { createSptaCodec, DEFAULT_SPTA_PROFILES_DIR, loadSptaProfile, type SptaProfile } from '../../systems/spta';
import { silentLogger } from '../common/logger';
import { startSneSimulator, type RunningSneSimulator, type SneSimulatorOptions } from '../sne/server';
import { FileRobot } from './files';
import { dialectChecks } from './strict';

export interface SptaSimulatorOptions extends Omit<SneSimulatorOptions, 'codec' | 'endpointPath' | 'serviceNamespace' | 'checkDocument' | 'name'> {
  /** The profile, or its name under `profilesDir`. */
  profile: SptaProfile | string;
  profilesDir?: string;
  /**
   * File exchange: answer the files dropped in `<dropDir>/<profile outDir>/` with returns in
   * `<dropDir>/<profile inDir>/`, every `pollMs` (default 100 ms).
   */
  files?: { dropDir: string; pollMs?: number };
}

export interface RunningSptaSimulator extends RunningSneSimulator {
  profile: SptaProfile;
  /** The URL of the SOAP service (`<url><profile endpointPath>`). */
  endpoint: string;
  /** Fault path of writes (`<endpointPath>getNumUnique`), for `faults.add({ path })`. */
  writePath: string;
  /** The file-exchange robot, when started with `files`: `tick()` runs a pass now. */
  files?: { processed(): number; tick(): Promise<number> };
}

/** Starts the simulator; `close()` stops the robot, then the SNE simulator underneath. */
export async function startSptaSimulator(options: SptaSimulatorOptions): Promise<RunningSptaSimulator> {
  const { profile: given, profilesDir, files, ...rest } = options;
  const elements = rest.elements ?? loadElementTable();
  const profile = typeof given === 'string' ? loadSptaProfile(given, profilesDir ?? DEFAULT_SPTA_PROFILES_DIR, { elements }) : given;
  const codec = createSptaCodec(profile, elements);
  const { endpointPath, serviceNamespace } = profile.transport.webservice;
  const logger = rest.logger ?? silentLogger;
  const sim = await startSneSimulator({
    ...rest,
    elements,
    codec,
    endpointPath,
    serviceNamespace,
    checkDocument: dialectChecks(profile, elements),
    name: `SPTA simulator (${profile.name})`,
  });

  let robot: FileRobot | undefined;
  if (files) {
    const layout = profile.transport.files;
    const out = join(files.dropDir, layout.outDir);
    robot = new FileRobot({
      service: sim.service,
      folders: { out, in: join(files.dropDir, layout.inDir), processed: join(out, 'processed') },
      serviceNamespace,
      guichet: rest.guichet ?? 'G0000',
      versionInterface: profile.interfaceVersion ?? rest.versions?.[rest.versions.length - 1] ?? '02.01',
      pollMs: files.pollMs ?? 100,
      logger,
      clock: rest.clock ?? (() => new Date()),
      ...(rest.timeZone ? { timeZone: rest.timeZone } : {}),
    });
    robot.start();
  }

  let closing: Promise<void> | undefined;
  const r = robot;
  return {
    ...sim,
    profile,
    endpoint: `${sim.url}${endpointPath}`,
    writePath: `${endpointPath}getNumUnique`,
    ...(r ? { files: { processed: () => r.processed, tick: () => r.tick() } } : {}),
    close: () => {
      closing ??= (r ? r.stop() : Promise.resolve()).then(() => sim.close());
      return closing;
    },
  };
}
