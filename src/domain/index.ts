/** The canonical model and pure business rules. No I/O. */
export * from './codes';
export * from './demande';
export * from './validate';
export * from './rules';
export * from './evenement';
