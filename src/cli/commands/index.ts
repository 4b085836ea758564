/** Every command of the CLI, in the order `--help` lists them. Add one line per command module. */
import type { Command } from 'commander';
import * as checkConfig from './check-config';
import * as demo from './demo';
import * as pull from './pull';
import * as runs from './runs';
import * as start from './start';
import * as generate from './generate';
import * as inspect from './inspect';
import * as sne from './sne';

export type RegisterCommand = (program: Command) => void;

export const commands: RegisterCommand[] = [
  start.register,
  demo.register,
  pull.register,
  runs.register,
  checkConfig.register,
  generate.register,
  inspect.register,
  sne.register,
];
