import type { SettledExchange } from '@cch/core';

/** One `cch_request_log` row, by entity property name. `requestId` is unique: writes are idempotent. */
export type LogRow = Record<string, unknown> & { requestId: string };

/** Set by the accounting settle handler (see cost.ts) before the row is built. */
export interface CostState {
  /** Decimal USD, at most 10 fractional digits. */
  costUsd?: string;
  /** True when the model has no known price: the row is logged at $0 and marked. */
  costUnpriced?: boolean;
}

/** Map a settled exchange to a request-log row. Never the prompt, never a key. */
export function toRow(ex: SettledExchange): LogRow {
  const u = ex.usage;
  const state = ex.state as CostState;
  const unpriced = state.costUnpriced === true;
  const hasDecision = ex.attempts.length > 0 || ex.decision.length > 0 || unpriced;
  return {
    requestId: ex.id,
    createdAt: ex.startedAt,
    userId: ex.identity?.userId ?? null,
    keyId: ex.identity?.keyId ?? null,
    providerId: ex.provider?.id ?? null,
    providerName: ex.provider?.name ?? null,
    attemptCount: ex.attempts.length,
    clientFormat: ex.clientFormat,
    providerFormat: ex.providerFormat ?? null,
    operation: ex.endpoint.operation,
    model: ex.model ?? null,
    servedModel: ex.servedModel ?? null,
    status: ex.status,
    outcome: ex.outcome,
    errorClass: ex.errorClass ?? null,
    errorMessage: ex.errorMessage?.slice(0, 2000) ?? null,
    inputTokens: u?.inputTokens ?? 0,
    outputTokens: u?.outputTokens ?? 0,
    cacheCreationTokens: u?.cacheCreationTokens ?? 0,
    cacheCreation5mTokens: u?.cacheCreation5mTokens ?? 0,
    cacheCreation1hTokens: u?.cacheCreation1hTokens ?? 0,
    cacheReadTokens: u?.cacheReadTokens ?? 0,
    reasoningTokens: u?.reasoningTokens ?? 0,
    costUsd: state.costUsd ?? '0',
    ttfbMs: ex.ttfbMs ?? null,
    durationMs: ex.durationMs,
    stream: ex.stream,
    sessionId: ex.sessionId ?? null,
    userAgent: ex.userAgent.slice(0, 500) || null,
    decision: hasDecision ? { attempts: ex.attempts, steps: ex.decision, ...(unpriced ? { unpriced: true } : {}) } : null,
  };
}

/** A row back from its spool line (JSON turned `createdAt` into a string). */
export function rowFromJson(value: unknown): LogRow | undefined {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const row = value as LogRow;
  if (typeof row.requestId !== 'string' || !row.requestId) return undefined;
  const created = new Date(row.createdAt as string);
  if (Number.isNaN(created.getTime())) return undefined;
  return { ...row, createdAt: created };
}
