/** Every command of the CLI, in the order `--help` lists them. Add one line per command module. */
import type { Command } from 'commander';
import * as checkConfig from './check-config';
import * as generate from './generate';
import * as inspect from './inspect';
import * as sne from './sne';

export type RegisterCommand = (program: Command) => void;

export const commands: RegisterCommand[] = [
  checkConfig.register,
  generate.register,
  inspect.register,
  sne.register,
];
