import { Get, Query, Response, Route, Security, Tags } from '@tsoa/runtime';
import { ApiKeyEntity, RequestLogEntity, UserEntity } from '../../db/entities.ts';
import type { ErrorBody, RequestDecision, RequestPage } from '../types.ts';
import { AdminController } from './base.ts';

@Route('requests')
@Tags('requests')
@Security('admin')
@Response<ErrorBody>(401, 'Not signed in')
export class RequestsController extends AdminController {
  /**
   * The request log, newest first.
   * @summary List logged requests
   * @param limit Page size (1–500).
   * @param offset Rows to skip.
   * @isInt limit limit must be an integer
   * @minimum limit 1 limit must be at least 1
   * @maximum limit 500 limit must be at most 500
   * @isInt offset offset must be an integer
   * @minimum offset 0 offset must not be negative
   */
  @Get()
  @Response<ErrorBody>(400, 'Bad paging parameters')
  public async list(@Query() limit: number = 50, @Query() offset: number = 0): Promise<RequestPage> {
    const em = this.gw.db.em();
    // Not findAndCount: it runs inside an AsyncLocalStorage, which switches on Node 20's promise
    // hooks for the rest of the process (a measurable cost on every proxied request).
    const [rows, total] = await Promise.all([
      em.find(RequestLogEntity, {}, { orderBy: { createdAt: 'desc', id: 'desc' }, limit, offset }),
      em.fork().count(RequestLogEntity, {}),
    ]);
    const userIds = [...new Set(rows.map((r) => r.userId).filter((id): id is number => id != null))];
    const keyIds = [...new Set(rows.map((r) => r.keyId).filter((id): id is number => id != null))];
    const [users, keys] = await Promise.all([
      userIds.length ? em.find(UserEntity, { id: { $in: userIds } }, { fields: ['id', 'name'] }) : [],
      keyIds.length ? em.find(ApiKeyEntity, { id: { $in: keyIds } }, { fields: ['id', 'name'] }) : [],
    ]);
    const userName = new Map(users.map((u) => [u.id, u.name]));
    const keyName = new Map(keys.map((k) => [k.id, k.name]));
    return {
      total,
      items: rows.map((r) => ({
        requestId: r.requestId,
        createdAt: new Date(r.createdAt).toISOString(),
        user: r.userId != null ? (userName.get(r.userId) ?? null) : null,
        key: r.keyId != null ? (keyName.get(r.keyId) ?? null) : null,
        provider: r.providerName ?? null,
        clientFormat: r.clientFormat,
        model: r.model ?? null,
        servedModel: r.servedModel ?? null,
        status: r.status,
        inputTokens: r.inputTokens,
        outputTokens: r.outputTokens,
        cacheCreationTokens: r.cacheCreationTokens,
        cacheReadTokens: r.cacheReadTokens,
        costUsd: String(r.costUsd),
        durationMs: r.durationMs,
        ttfbMs: r.ttfbMs ?? null,
        outcome: r.outcome,
        errorClass: r.errorClass ?? null,
        sessionId: r.sessionId ?? null,
        attemptCount: r.attemptCount,
        providerFormat: r.providerFormat ?? null,
        decision: toDecision(r.decision),
      })),
    };
  }
}

/** The stored JSONB, shaped for the wire; rows written before `steps` existed get empty lists. */
function toDecision(raw: unknown): RequestDecision | null {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return null;
  const d = raw as { attempts?: unknown; steps?: unknown; unpriced?: unknown };
  return {
    attempts: Array.isArray(d.attempts) ? (d.attempts as RequestDecision['attempts']) : [],
    steps: Array.isArray(d.steps) ? (d.steps as RequestDecision['steps']) : [],
    ...(d.unpriced === true ? { unpriced: true } : {}),
  };
}
