/** Display helpers shared by the views. All return '—' for missing values. */

const DASH = '—';
const intFmt = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

export function formatInt(n: number | null | undefined): string {
  return typeof n === 'number' && Number.isFinite(n) ? intFmt.format(n) : DASH;
}

/** `"0.000123"` → `$0.000123`, `"1.5"` → `$1.50`, `"0.0421337"` → `$0.0421`. */
export function formatCost(v: string | number | null | undefined): string {
  if (v === null || v === undefined || v === '') return DASH;
  const n = typeof v === 'number' ? v : Number(v);
  if (!Number.isFinite(n)) return DASH;
  if (n === 0) return '$0.00';
  const abs = Math.abs(n);
  const sign = n < 0 ? '-' : '';
  if (abs >= 1) return `${sign}$${abs.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
  if (abs >= 0.01) return `${sign}$${abs.toFixed(4)}`;
  if (abs < 0.000001) return `${sign}<$0.000001`;
  return `${sign}$${abs.toFixed(6).replace(/0+$/, '')}`;
}

/** 812 → `812 ms`, 1234 → `1.23 s`, 75000 → `1m 15s`. */
export function formatMs(ms: number | null | undefined): string {
  if (typeof ms !== 'number' || !Number.isFinite(ms)) return DASH;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  const totalS = Math.round(ms / 1000);
  return `${Math.floor(totalS / 60)}m ${String(totalS % 60).padStart(2, '0')}s`;
}

/** Plugin setup times are small; keep one decimal below 100 ms. */
export function formatSetupMs(ms: number | null | undefined): string {
  if (typeof ms !== 'number' || !Number.isFinite(ms)) return DASH;
  return ms < 100 ? `${ms.toFixed(1)} ms` : formatMs(ms);
}

/** 12 → `12s`, 3725 → `1h 2m 5s`, 200000 → `2d 7h 33m`. */
export function formatUptime(seconds: number | null | undefined): string {
  if (typeof seconds !== 'number' || !Number.isFinite(seconds)) return DASH;
  let s = Math.max(0, Math.floor(seconds));
  const d = Math.floor(s / 86_400);
  s -= d * 86_400;
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  if (d) return `${d}d ${h}h ${m}m`;
  if (h) return `${h}h ${m}m ${s}s`;
  if (m) return `${m}m ${s}s`;
  return `${s}s`;
}

/** Local time; the date is added when it is not today. */
export function formatTime(iso: string | null | undefined): string {
  if (!iso) return DASH;
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const time = d.toLocaleTimeString('en-GB', { hour12: false });
  const today = new Date();
  if (d.toDateString() === today.toDateString()) return time;
  return `${d.toLocaleDateString('en-CA')} ${time}`;
}

export function joinList(items: readonly string[] | null | undefined): string {
  return items && items.length ? items.join(', ') : DASH;
}
