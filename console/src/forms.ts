/**
 * Helpers for the edit forms (users, keys, groups, providers): limits drafts, comma lists,
 * `datetime-local` ↔ ISO conversion and mapping the API's 400 field messages onto form fields.
 */
import { ApiError, type LimitsBody } from './api';
import { formatCost } from './format';

export type LimitKey = keyof LimitsBody;

export interface LimitField {
  key: LimitKey;
  label: string;
  /** `count`: whole number ≥ 1; `usd`: amount ≥ 0. */
  kind: 'count' | 'usd';
  /** Short form for the summary column. */
  short: (v: number) => string;
}

export const LIMIT_FIELDS: readonly LimitField[] = [
  { key: 'rpm', label: 'Requests / minute', kind: 'count', short: (v) => `${v} rpm` },
  { key: 'concurrentSessions', label: 'Concurrent sessions', kind: 'count', short: (v) => `${v} sessions` },
  { key: 'concurrentRequests', label: 'Concurrent requests', kind: 'count', short: (v) => `${v} in flight` },
  { key: 'usd5h', label: 'USD / 5 hours', kind: 'usd', short: (v) => `${formatCost(v)}/5h` },
  { key: 'usdDaily', label: 'USD / day', kind: 'usd', short: (v) => `${formatCost(v)}/day` },
  { key: 'usdWeekly', label: 'USD / week', kind: 'usd', short: (v) => `${formatCost(v)}/week` },
  { key: 'usdMonthly', label: 'USD / month', kind: 'usd', short: (v) => `${formatCost(v)}/month` },
  { key: 'usdTotal', label: 'USD total', kind: 'usd', short: (v) => `${formatCost(v)} total` },
];

/**
 * What the limit inputs hold: '' = no limit on this level. Vue's v-model on a number input
 * yields a number, or the raw string when it does not parse.
 */
export type LimitsDraft = Record<LimitKey, string | number>;

export function limitsDraft(l?: LimitsBody | null): LimitsDraft {
  const out = {} as LimitsDraft;
  for (const f of LIMIT_FIELDS) out[f.key] = l?.[f.key] ?? '';
  return out;
}

/**
 * The draft as a limits object: empty inputs are left out (no limit). Anything else is sent as a
 * number (or, when it is not one, as typed, so the API's message names the field).
 */
export function limitsFromDraft(d: LimitsDraft): LimitsBody {
  const out: Record<string, unknown> = {};
  for (const f of LIMIT_FIELDS) {
    const raw = d[f.key];
    const text = typeof raw === 'number' ? String(raw) : raw.trim();
    if (text === '') continue;
    const n = Number(text);
    out[f.key] = Number.isFinite(n) ? n : text;
  }
  return out as LimitsBody;
}

/** `{ rpm: 60, usdDaily: 5 }` → `60 rpm · $5.00/day`; '—' when unlimited. */
export function limitsSummary(l?: LimitsBody | null): string {
  if (!l) return '—';
  const parts = LIMIT_FIELDS.filter((f) => typeof l[f.key] === 'number').map((f) => f.short(l[f.key]!));
  return parts.length ? parts.join(' · ') : '—';
}

/** `"a, b\nc"` → `['a', 'b', 'c']`. */
export function parseList(text: string): string[] {
  return text
    .split(/[,\n]/)
    .map((s) => s.trim())
    .filter(Boolean);
}

export const listText = (items: readonly string[] | null | undefined): string => (items ?? []).join(', ');

const pad = (n: number) => String(n).padStart(2, '0');

/** ISO 8601 → the `datetime-local` input's value (local time), '' when unset. */
export function isoToLocalInput(iso: string | null | undefined): string {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** The `datetime-local` input's value (local time) → ISO 8601 (UTC); null when empty or invalid. */
export function localInputToIso(value: string): string | null {
  if (!value.trim()) return null;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
}

/** True when an ISO timestamp lies in the past. */
export const isPast = (iso: string | null | undefined): boolean => !!iso && new Date(iso).getTime() <= Date.now();

/** A form's error state: the message, and field messages keyed by the body path (`limits.rpm`, `name`). */
export interface FormError {
  message: string;
  fields: Record<string, string>;
}

export function formError(e: unknown): FormError {
  const message = e instanceof Error ? e.message : String(e);
  const fields: Record<string, string> = {};
  if (e instanceof ApiError && e.fields) {
    for (const [path, f] of Object.entries(e.fields)) fields[path.replace(/^body\.?/, '') || '(body)'] = f.message;
  }
  return { message, fields };
}

/**
 * Field messages that no input of the form shows and that the error's message does not already
 * spell out (the gateway's does: `invalid request: body.name: …`), as `path: message` lines.
 */
export function unplacedFieldErrors(err: FormError | null, placed: readonly string[]): string[] {
  if (!err) return [];
  return Object.entries(err.fields)
    .filter(([path, msg]) => !placed.includes(path) && !err.message.includes(msg))
    .map(([path, msg]) => `${path}: ${msg}`);
}

export const LIMIT_PATHS: readonly string[] = LIMIT_FIELDS.map((f) => `limits.${f.key}`);

export const errorText = (e: unknown): string => (e instanceof Error ? e.message : String(e));
