/** Runs a TypeScript bench script in a child process and reads its last stdout line as JSON. */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface ChildResult<T> {
  result: T;
  stderr: string;
}

export function runChild<T>(script: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<ChildResult<T>> {
  return new Promise((resolve, reject) => {
    // `.js` scripts run as they are (the compiled product, no TypeScript compiler in memory).
    const runner = script.endsWith('.js') ? [] : ['-r', 'ts-node/register/transpile-only'];
    const child = spawn(process.execPath, [...runner, join(__dirname, script), ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
      if (err.length > 100_000) err = err.slice(-50_000);
    });
    child.once('exit', (code) => {
      const last = out.trim().split('\n').pop() ?? '';
      if (code !== 0) return reject(new Error(`${script} exited with ${code}: ${err.slice(-2000)}`));
      try {
        resolve({ result: JSON.parse(last) as T, stderr: err });
      } catch {
        reject(new Error(`${script} printed no JSON: ${out.slice(-500)} ${err.slice(-1000)}`));
      }
    });
  });
}

/** Starts a long-lived child (a simulator) and resolves with its first stdout line as JSON. */
export function startChild<T>(script: string, args: string[]): Promise<{ info: T; stop: () => void }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', join(__dirname, script), ...args], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const nl = out.indexOf('\n');
      if (nl >= 0) resolve({ info: JSON.parse(out.slice(0, nl)) as T, stop: () => child.kill('SIGTERM') });
    });
    child.once('exit', (code) => reject(new Error(`${script} exited early with ${code}`)));
  });
}

/** Peak resident memory of this process so far (VmHWM), in MiB. */
export function peakRssMb(): number {
  try {
    const status = readFileSync('/proc/self/status', 'utf8');
    const m = /VmHWM:\s+(\d+) kB/.exec(status);
    if (m) return Math.round(Number(m[1]) / 1024);
  } catch {
    // not Linux: fall back to the current RSS
  }
  return Math.round(process.memoryUsage().rss / 1048576);
}
