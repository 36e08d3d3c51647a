/**
 * @cch/plugin-limits-common — shared parts of the limit plugins (not a plugin itself): the
 * subjects counters are kept for, the failover store, session ids, rejection headers, and the
 * `limits` / `providerLimits` services. The limit plugins import it by relative path.
 */
export * from './subjects.ts';
export * from './reject.ts';
export * from './failover.ts';
export * from './session.ts';
export * from './services.ts';
export * from './attempts.ts';
export * from './refresh.ts';
export * from './batch.ts';
