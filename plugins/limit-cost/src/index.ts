import { Type } from '@sinclair/typebox';
import { assertTimeZone, calendarWindows, definePlugin, parseResetTime, type SettledExchange } from '@cch/core';
import {
  createFailoverStore,
  createReadCache,
  identitySubjects,
  joinLimitServices,
  microsToUsd,
  providerSubject,
  roomy,
  toMicros,
  type Backend,
  type LimitUsage,
  type Subject,
} from '../../limits-common/src/index.ts';
import { estimateMicros, pricingLookup, settledMicros } from './estimate.ts';
import { createLedger, USD_DIMENSIONS, type LedgerReading, type SettleTarget } from './ledger.ts';
import { budgetRejection } from './messages.ts';

/** How long a provider's spend, read for the balancer, is reused. */
const PROVIDER_READ_MS = 100;

const options = Type.Object(
  {
    timezone: Type.Optional(Type.String({ minLength: 1, description: 'IANA time zone of the daily, weekly and monthly windows. Default: settings.timezone, else UTC.' })),
    dailyResetTime: Type.String({ pattern: '^([01]\\d|2[0-3]):[0-5]\\d$', default: '00:00', description: 'Local time (HH:MM) at which days, weeks (Mondays) and months (the 1st) begin.' }),
    maxReserveUsd: Type.Number({ minimum: 0, maximum: 1000, default: 1, description: 'Most a single request holds from a budget while it runs.' }),
    defaultReserveUsd: Type.Number({ minimum: 0, maximum: 1000, default: 0.05, description: 'What a request holds when its model has no price.' }),
    assumedOutputTokens: Type.Integer({ minimum: 1, maximum: 10_000_000, default: 4096, description: 'Output tokens assumed for the hold when a request sets no max_tokens (or equivalent).' }),
    reservationTtlSeconds: Type.Integer({ minimum: 60, maximum: 86_400, default: 1800, description: 'How long a hold lasts if its request never settles (the instance crashed); also the longest a request is held for.' }),
  },
  { additionalProperties: false },
);

interface CostState {
  /** Subjects holding a reservation for this request (set once the reservation is in place). */
  subjects: Subject[];
  at: number;
  on: Backend;
  reserving?: Promise<unknown>;
  settled?: boolean;
}

/**
 * USD budgets per key, per user (its group's budget unless it sets its own) and per provider:
 * rolling 5 h, daily, weekly, monthly and total. A request holds an estimate from each budget
 * while it runs and is settled to its real cost when it ends.
 */
export default definePlugin({
  name: 'limit-cost',
  version: '0.1.0',
  core: '0.1.x',
  kind: 'limit',
  description: 'USD budgets (rolling 5 h, daily, weekly, monthly, total) per key, user (group default) and provider; 402 with the reset time.',
  options,
  // Settle after accounting when both are loaded, so exchange.state.costUsd is already there.
  after: ['accounting'],
  setup(ctx) {
    const o = ctx.options;
    const timezone = o.timezone ?? ctx.config.settings?.timezone ?? 'UTC';
    assertTimeZone(timezone);
    const resetMinutes = parseResetTime(o.dailyResetTime);
    const store = createFailoverStore({ shared: ctx.store, logger: ctx.logger });
    ctx.onClose(() => store.close());
    const ledger = createLedger(store, { timezone, resetMinutes, reservationTtlMs: o.reservationTtlSeconds * 1000 });
    const pricing = pricingLookup(ctx);
    const unpriced = new Set<string>();
    const providerReads = createReadCache<LedgerReading>(PROVIDER_READ_MS);

    joinLimitServices(
      ctx,
      {
        plugin: ctx.name,
        async usage(subject) {
          const now = Date.now();
          const out: LimitUsage = {};
          if (!subject.counted) {
            const w = calendarWindows(now, timezone, resetMinutes);
            for (const d of USD_DIMENSIONS) {
              const end = d === 'usdDaily' ? w.daily.end : d === 'usdWeekly' ? w.weekly.end : d === 'usdMonthly' ? w.monthly.end : undefined;
              out[d] = { used: null, limit: subject.limits[d] ?? null, resetAt: end ? new Date(end).toISOString() : null };
            }
            return out;
          }
          const r = await ledger.read(subject, now);
          const resetAt = (d: (typeof USD_DIMENSIONS)[number]): number | undefined =>
            d === 'usd5h' ? r.fiveHourFreeAtMs : d === 'usdDaily' ? r.windows.daily.end : d === 'usdWeekly' ? r.windows.weekly.end : d === 'usdMonthly' ? r.windows.monthly.end : undefined;
          for (const d of USD_DIMENSIONS) {
            const at = resetAt(d);
            out[d] = { used: microsToUsd(r.settled[d]), reserved: microsToUsd(r.reserved), limit: subject.limits[d] ?? null, resetAt: at === undefined ? null : new Date(at).toISOString() };
          }
          return out;
        },
        status() {
          const s = store.status();
          return { plugin: ctx.name, degraded: s.degraded, since: s.since?.toISOString() ?? null, lastError: s.lastError ?? null };
        },
      },
      async (provider) => {
        const s = providerSubject(provider);
        if (!USD_DIMENSIONS.some((d) => s.limits[d] !== undefined)) return true;
        const within = (r: LedgerReading, roomyOnly: boolean) =>
          USD_DIMENSIONS.every((d) => {
            const limit = s.limits[d];
            if (limit === undefined) return true;
            const used = r.settled[d] + r.reserved;
            return roomyOnly ? roomy(used, toMicros(limit)) : microsToUsd(used) < limit;
          });
        // A reading up to 100 ms old is reused while the provider is well below every budget.
        const r = await providerReads.get(provider.id, () => ledger.read(s, Date.now()), (v) => within(v, true));
        return within(r, false);
      },
    );

    ctx.use('limit', (c, next) => {
      const ex = c.exchange;
      if (!ex.identity || ex.endpoint.operation !== 'generate') return next();
      const subjects = identitySubjects(ex.identity).filter((s) => USD_DIMENSIONS.some((d) => s.limits[d] !== undefined));
      const now = Date.now();
      // Spend is booked even without a limit (read-outs, and a limit added later starts from the truth).
      const st: CostState = { subjects: [], at: now, on: 'shared' };
      ex.state[ctx.name] = st;
      if (subjects.length === 0) return next();
      const amount = estimateMicros(ex, pricing(), o);
      // Checked alongside the other limits (one store round trip); the proxy waits for the verdict.
      const admission = ledger.reserve(subjects, ex.id, amount, now).then((r) => {
        if (!r.ok) throw budgetRejection(r.violations, now);
        st.subjects = subjects;
        st.on = r.on;
      });
      // Settle books only after the hold is in place (or refused), so it releases what was held.
      st.reserving = admission.catch(() => undefined);
      c.admit(admission);
      return next();
    });

    ctx.onSettle(async (ex) => {
      const st = ex.state[ctx.name] as CostState | undefined;
      if (!st || st.settled || !ex.identity) return;
      st.settled = true;
      await st.reserving;
      const { micros, priced } = settledMicros(ex, pricing());
      const model = ex.servedModel ?? ex.model ?? '?';
      if (!priced && !unpriced.has(model)) {
        unpriced.add(model);
        ctx.logger.warn({ model }, 'no price for this model: its spend does not count toward USD limits');
      }
      // Nothing held and nothing spent (a refused or free request): nothing to book.
      if (micros <= 0 && st.subjects.length === 0) return;
      const now = Date.now();
      const targets: SettleTarget[] = identitySubjects(ex.identity).map((subject) => ({ subject, track5h: true }));
      // Both go out together (one store round trip).
      const provider = ex.provider && micros > 0 ? providerSubject(ex.provider) : undefined;
      await Promise.all([
        settleIdentity(ex, st, targets, micros, now),
        provider &&
          ledger
            .settle([{ subject: provider, track5h: provider.limits.usd5h !== undefined }], ex.id, micros, st.at, now)
            .catch((err: unknown) => ctx.logger.warn({ err, provider: ex.provider?.name }, 'provider spend not recorded')),
      ]);
    });

    /**
     * Book the cost where the shared truth is, and release the hold where it was taken: the
     * two differ when the store failed or came back while the request ran.
     */
    async function settleIdentity(ex: SettledExchange, st: CostState, targets: SettleTarget[], micros: number, now: number): Promise<void> {
      try {
        if (st.on === 'local') {
          const on = await ledger.settle(targets, ex.id, micros, st.at, now);
          if (on === 'shared') await ledger.settle(targets, ex.id, 0, st.at, now, { on: 'local' });
          return;
        }
        await ledger.settle(targets, ex.id, micros, st.at, now, { on: 'shared' });
      } catch (err) {
        // Shared store down: the settlement is queued for replay; count the spend locally meanwhile.
        ctx.logger.debug({ err, requestId: ex.id }, 'settlement queued until the limit store returns');
        await ledger.settle(targets, ex.id, micros, st.at, now, { on: 'local' }).catch(() => undefined);
      }
    }
  },
});

export { createLedger, FIVE_HOURS_MS, USD_DIMENSIONS, type Ledger, type LedgerOptions, type Violation, type UsdDimension } from './ledger.ts';
export { estimateMicros, settledMicros, outputCap, type PricingLike } from './estimate.ts';
