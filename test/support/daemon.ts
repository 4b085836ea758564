/**
 * A daemon in a child process (`passerelle start`), so a test can kill it with SIGKILL like a crash and
 * start it again.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { TEST_HMAC, TEST_KEY, TEST_LOCAL_TOKEN } from './gateway';

const BIN = join(__dirname, '..', '..', 'bin', 'passerelle.js');

export interface Daemon {
  child: ChildProcess;
  /** Everything it logged (stderr), for diagnosis. */
  logs(): string;
  kill(signal?: NodeJS.Signals): Promise<number | null>;
}

export function startDaemon(configPath: string, roles = 'worker', extraEnv: NodeJS.ProcessEnv = {}): Daemon {
  const child = spawn(process.execPath, [BIN, 'start', '--role', roles, '--config', configPath], {
    env: { ...process.env, T_LOCAL_TOKEN: TEST_LOCAL_TOKEN, T_KEY: TEST_KEY, T_HMAC: TEST_HMAC, ...extraEnv },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  child.stderr?.on('data', (d: Buffer) => {
    err += d.toString();
    if (err.length > 200_000) err = err.slice(-100_000);
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    logs: () => err,
    kill: async (signal: NodeJS.Signals = 'SIGKILL') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

export async function waitUntil(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
