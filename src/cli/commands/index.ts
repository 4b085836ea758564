/** Every command of the CLI, in the order `--help` lists them. Add one line per command module. */
import type { Command } from 'commander';
import * as checkConfig from './check-config';
import * as demo from './demo';
import * as pull from './pull';
import * as runs from './runs';
import * as replay from './replay';
import * as deadLetters from './dead-letters';
import * as start from './start';
import * as generate from './generate';
import * as hashPassword from './hash-password';
import * as inspect from './inspect';
import * as sne from './sne';
import * as reconcile from './reconcile';
import * as reports from './reports';

export type RegisterCommand = (program: Command) => void;

export const commands: RegisterCommand[] = [
  start.register,
  demo.register,
  pull.register,
  runs.register,
  replay.register,
  deadLetters.register,
  checkConfig.register,
  generate.register,
  hashPassword.register,
  inspect.register,
  sne.register,
  reconcile.register,
  reports.register,
];
