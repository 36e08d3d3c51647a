import { Get, Response, Route, Security, Tags } from '@tsoa/runtime';
import type { ErrorBody, PluginSummary } from '../types.ts';
import { AdminController } from './base.ts';

const SECRET_KEY = /key|token|secret|password/i;
export const REDACTED = '[redacted]';

/**
 * Replace values under secret-looking keys (at any depth). Booleans and unset values stay, so
 * the console can still tell "configured" from "not configured".
 */
export function redactOptions(value: unknown, depth = 0): unknown {
  if (depth > 32 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => redactOptions(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    out[k] = SECRET_KEY.test(k) && v !== null && v !== undefined && typeof v !== 'boolean' ? REDACTED : redactOptions(v, depth + 1);
  }
  return out;
}

function asRecord(v: unknown): { [key: string]: unknown } | null {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as { [key: string]: unknown }) : null;
}

@Route('plugins')
@Tags('plugins')
@Security('admin')
@Response<ErrorBody>(401, 'Not signed in')
export class PluginsController extends AdminController {
  /**
   * Loaded plugins in setup order, with their options (secret values redacted) and schema.
   * Plugin-specific routes live under `/api/v1/plugins/{name}/…`.
   * @summary List plugins
   */
  @Get()
  public async list(): Promise<PluginSummary[]> {
    return this.gw.plugins.map((p) => ({
      name: p.name,
      version: p.version,
      description: p.description,
      kind: p.kind,
      source: p.source,
      phases: [...p.phases],
      services: [...p.services],
      providerTypes: [...p.providerTypes],
      dependsOn: [...p.dependsOn],
      setupMs: p.setupMs,
      optionsSchema: asRecord(p.optionsSchema ? JSON.parse(JSON.stringify(p.optionsSchema)) : null),
      options: asRecord(redactOptions(p.options)),
    }));
  }
}
