/**
 * Exact decimal arithmetic on scaled BigInts, so money never goes through a float.
 * A value with `scale` s is stored as the integer value × 10^s.
 */

const DECIMAL = /^([+-])?(\d*)(?:\.(\d*))?(?:e([+-]?\d+))?$/i;

/**
 * Parse a decimal text (`"3.75"`, `"1.5e-7"`, `"-0.1"`) into an integer scaled by 10^scale,
 * rounding half away from zero beyond the scale. Throws on anything that is not a number.
 */
export function parseDecimal(text: string, scale: number): bigint {
  const m = DECIMAL.exec(text.trim());
  if (!m || (!m[2] && !m[3])) throw new RangeError(`not a decimal number: "${text}"`);
  const negative = m[1] === '-';
  const intPart = m[2] ?? '';
  const fracPart = m[3] ?? '';
  const exp = Number(m[4] ?? 0);
  // digits × 10^(exp - fracPart.length) × 10^scale
  const digits = BigInt((intPart + fracPart).replace(/^0+(?=\d)/, '') || '0');
  const shift = exp - fracPart.length + scale;
  let units: bigint;
  if (shift >= 0) {
    units = digits * 10n ** BigInt(shift);
  } else {
    const div = 10n ** BigInt(-shift);
    units = digits / div;
    if ((digits % div) * 2n >= div) units += 1n;
  }
  return negative ? -units : units;
}

/** A JS number (as written, via its shortest round-trip text) scaled by 10^scale. */
export function decimalFromNumber(n: number, scale: number): bigint {
  if (!Number.isFinite(n)) throw new RangeError(`not a finite number: ${n}`);
  return parseDecimal(String(n), scale);
}

/** Format an integer scaled by 10^scale as a plain decimal string without trailing zeros. */
export function formatDecimal(units: bigint, scale: number): string {
  const negative = units < 0n;
  const abs = negative ? -units : units;
  const s = abs.toString().padStart(scale + 1, '0');
  const intPart = s.slice(0, s.length - scale);
  const frac = s.slice(s.length - scale).replace(/0+$/, '');
  const out = frac ? `${intPart}.${frac}` : intPart;
  return negative && out !== '0' ? `-${out}` : out;
}

/** Divide and round half away from zero. */
export function divRound(n: bigint, d: bigint): bigint {
  const q = n / d;
  const r = n % d;
  if (r === 0n) return q;
  const twice = (r < 0n ? -r : r) * 2n;
  const up = twice >= (d < 0n ? -d : d);
  if (!up) return q;
  return (n < 0n) !== (d < 0n) ? q - 1n : q + 1n;
}

/** Scale of USD amounts as stored (`numeric(20,10)`). */
export const USD_SCALE = 10;

/** Sum decimal USD strings exactly; the result has at most 10 fractional digits. */
export function addUsd(...amounts: string[]): string {
  let total = 0n;
  for (const a of amounts) total += parseDecimal(a, USD_SCALE);
  return formatDecimal(total, USD_SCALE);
}

/** A decimal USD string as an integer count of 1e-10 USD. */
export function usdToUnits(usd: string): bigint {
  return parseDecimal(usd, USD_SCALE);
}

/** An integer count of 1e-10 USD as a decimal USD string. */
export function unitsToUsd(units: bigint): string {
  return formatDecimal(units, USD_SCALE);
}
