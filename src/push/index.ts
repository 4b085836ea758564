/**
 * The push pipeline (design.md §1 "push", §3): the local tool's events flow out to the SNE and the
 * SPTAs, each once, in each demand's order, with classified failures and nothing lost.
 *
 * - `intake`: feed follower and `accept` (HMAC endpoint) -> jobs + order entries + cursor;
 * - `http`: the HMAC-signed endpoint's router;
 * - `processor`: the worker of one target;
 * - `pipeline`: everything wired (queues, workers, intake loop);
 * - `replay`: replay and discard of dead letters (push and pull).
 */
export * from './keys';
export * from './jobs';
export * from './state';
export * from './mappings';
export * from './intake';
export * from './http';
export * from './processor';
export * from './pipeline';
export * from './replay';
export * from './queues';
