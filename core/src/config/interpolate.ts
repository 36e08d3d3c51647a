import { errors } from '../errors.ts';


/**
 * Replace `${VAR}` and `${VAR:-default}` in every string of a parsed YAML tree.
 * `$${VAR}` escapes to a literal `${VAR}`. A missing variable without default is an error naming
 * the YAML path where it is used.
 */
export function interpolate(value: unknown, env: NodeJS.ProcessEnv, path = ''): unknown {
  if (typeof value === 'string') return interpolateString(value, env, path);
  if (Array.isArray(value)) return value.map((v, i) => interpolate(v, env, `${path}[${i}]`));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = interpolate(v, env, path ? `${path}.${k}` : k);
    return out;
  }
  return value;
}

function interpolateString(s: string, env: NodeJS.ProcessEnv, path: string): string {
  if (!s.includes('${')) return s;
  return s.replace(/(\$?)\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g, (whole, escape: string, name: string, def: string | undefined) => {
    if (escape) return whole.slice(1);
    const v = env[name];
    if (v !== undefined && v !== '') return v;
    if (def !== undefined) return def;
    throw errors.envMissing(name, path || '(root)');
  });
}

