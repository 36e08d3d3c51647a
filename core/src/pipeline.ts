import type { Next } from 'koa';
import { PHASES, type Phase, type PhaseMiddleware, type ProxyContext } from './plugin.ts';

interface Entry {
  plugin: string;
  phase: Phase;
  order: 'pre' | 'normal' | 'post';
  fn: PhaseMiddleware;
  seq: number;
}

const TIER = { pre: 0, normal: 1, post: 2 } as const;

/**
 * The request pipeline: phases in fixed order; inside a phase, `pre` before normal before `post`,
 * and within a tier the order plugins were set up (YAML order, adjusted for dependencies).
 * Middleware are Koa-style: each may act before and after `next()`.
 */
export class Pipeline {
  private entries: Entry[] = [];
  private composed: ((ctx: ProxyContext, terminal: Next) => Promise<void>) | undefined;

  add(plugin: string, phase: Phase, fn: PhaseMiddleware, order: 'pre' | 'post' | undefined): void {
    if (!PHASES.includes(phase)) throw new Error(`unknown phase "${phase}"`);
    this.entries.push({ plugin, phase, order: order ?? 'normal', fn, seq: this.entries.length });
    this.composed = undefined;
  }

  /** Middleware in run order, for `cch plugins`. */
  list(): { plugin: string; phase: Phase; order: string }[] {
    return this.sorted().map(({ plugin, phase, order }) => ({ plugin, phase, order }));
  }

  phasesOf(plugin: string): Phase[] {
    return [...new Set(this.entries.filter((e) => e.plugin === plugin).map((e) => e.phase))];
  }

  /**
   * Run every middleware, then `terminal` (the proxy itself) once every admission check
   * registered with `ctx.admit` has passed.
   */
  async run(ctx: ProxyContext, terminal: Next): Promise<void> {
    this.composed ??= compose(this.sorted().map((e) => e.fn));
    let checks: Promise<unknown>[] | undefined;
    ctx.admit = (check) => {
      check.catch(noop); // judged below, in registration order
      (checks ??= []).push(check);
    };
    let judged = false;
    const admitted: Next = async () => {
      if (checks) await firstRejection(checks);
      judged = true;
      return terminal();
    };
    try {
      await this.composed(ctx, admitted);
      // A middleware that answered by itself (never reaching the proxy) still answers to the limits.
      if (checks && !judged) await firstRejection(checks);
    } catch (err) {
      // A limit that refused the request speaks first, even when a later phase failed meanwhile.
      if (checks) await firstRejection(checks);
      throw err;
    }
  }

  private sorted(): Entry[] {
    return [...this.entries].sort(
      (a, b) => PHASES.indexOf(a.phase) - PHASES.indexOf(b.phase) || TIER[a.order] - TIER[b.order] || a.seq - b.seq,
    );
  }
}

const noop = (): void => {};

/** Waits for every check; throws the error of the first (in registration order) that rejected. */
async function firstRejection(checks: Promise<unknown>[]): Promise<void> {
  if (checks.length === 1) {
    await checks[0];
    return;
  }
  const results = await Promise.allSettled(checks);
  for (const r of results) if (r.status === 'rejected') throw r.reason;
}

function compose(fns: PhaseMiddleware[]): (ctx: ProxyContext, terminal: Next) => Promise<void> {
  return (ctx, terminal) => {
    let last = -1;
    const dispatch = (i: number): Promise<void> => {
      if (i <= last) return Promise.reject(new Error('next() called multiple times'));
      last = i;
      const fn = i < fns.length ? fns[i]! : undefined;
      if (!fn) return i === fns.length ? Promise.resolve(terminal()) : Promise.resolve();
      try {
        return Promise.resolve(fn(ctx, () => dispatch(i + 1)));
      } catch (err) {
        return Promise.reject(err);
      }
    };
    return dispatch(0);
  };
}
