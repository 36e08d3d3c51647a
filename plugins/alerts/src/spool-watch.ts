import type { Severity } from './deliver.ts';

/** What the watcher reads from the request-log writer (`requestLog.stats()`). */
export interface SpoolStats {
  spooledRows: number;
  spoolBytes: number;
  dropped: number;
  dbHealthy: boolean;
  lastError: string | undefined;
}

export interface SpoolAlert {
  severity: Severity;
  message: string;
  data: Record<string, unknown>;
}

/**
 * Turns successive request-log stats into alerts: the spool starting to fill (at `minRows`),
 * growing tenfold since the last alert, rows being dropped, and the spool draining again.
 * Per instance: each instance spools its own rows.
 */
export function createSpoolWatch(minRows: number): (s: SpoolStats) => SpoolAlert | undefined {
  let alertedAt = 0; // spooled rows at the last growth alert; 0 = not spooling
  let dropped = 0;
  return (s) => {
    const data = { spooledRows: s.spooledRows, spoolBytes: s.spoolBytes, dropped: s.dropped, dbHealthy: s.dbHealthy, lastError: s.lastError, pid: process.pid };
    if (s.dropped > dropped) {
      const lost = s.dropped - dropped;
      dropped = s.dropped;
      return { severity: 'critical', message: `Request log: ${lost} row(s) dropped (memory full and the spool unavailable)`, data };
    }
    if (alertedAt === 0 && s.spooledRows >= minRows && s.spooledRows > 0) {
      alertedAt = s.spooledRows;
      return { severity: 'warning', message: `Request log is spooling to disk: ${s.spooledRows} row(s) waiting for the database`, data };
    }
    if (alertedAt > 0 && s.spooledRows >= alertedAt * 10) {
      alertedAt = s.spooledRows;
      return { severity: 'critical', message: `Request log spool still growing: ${s.spooledRows} row(s) waiting for the database`, data };
    }
    if (alertedAt > 0 && s.spooledRows === 0) {
      alertedAt = 0;
      return { severity: 'info', message: 'Request log spool drained: every row is in the database', data };
    }
    return undefined;
  };
}
