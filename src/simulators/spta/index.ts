/** The SPTA simulator: the SNE simulator speaking an SPTA profile, and its file-exchange robot. */
export { startSptaSimulator, type SptaSimulatorOptions, type RunningSptaSimulator } from './server';
export { dialectChecks } from './strict';
export { FileRobot, type FileRobotOptions } from './files';
