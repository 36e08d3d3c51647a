import type { SetupContext } from '@cch/core';
import type { AlertsService } from './index.ts';

/**
 * Admin route under `/api/v1/plugins/alerts/` (the core checks the admin session first):
 * `GET /recent?limit=N`, the alerts this instance raised, newest first.
 */
export function mountRoutes(router: SetupContext['router'], alerts: Pick<AlertsService, 'recent'>): void {
  router.get('/recent', (c) => {
    const raw = c.query.limit;
    let limit: number | undefined;
    if (raw !== undefined && raw !== '') {
      if (typeof raw !== 'string' || !/^\d+$/.test(raw) || Number(raw) < 1 || Number(raw) > 10_000) {
        c.status = 400;
        c.body = { error: { message: 'limit must be an integer between 1 and 10000' } };
        return;
      }
      limit = Number(raw);
    }
    c.body = { items: alerts.recent(limit) };
  });
}
