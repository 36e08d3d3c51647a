import { Value } from '@sinclair/typebox/value';
import type { TSchema } from '@sinclair/typebox';
import { ValueErrorType, type ValueError } from '@sinclair/typebox/errors';
import { FormatRegistry } from '@sinclair/typebox';

// TypeBox knows no string formats by itself: without this, every `format: date-time` value (a key's
// `expiresAt`) failed validation as "unknown format".
if (!FormatRegistry.Has('date-time')) {
  FormatRegistry.Set('date-time', (v) => /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/i.test(v) && !Number.isNaN(Date.parse(v)));
}

/** `/plugins/3/options/x` → `plugins[3].options.x` (joined onto `base`). */
export function yamlPath(pointer: string, base = ''): string {
  let out = base;
  for (const raw of pointer.split('/').slice(1)) {
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (/^\d+$/.test(seg)) out += `[${seg}]`;
    else out += out ? `.${seg}` : seg;
  }
  return out || '(root)';
}

function describe(e: ValueError): string {
  const s = e.schema as Record<string, unknown>;
  switch (e.type) {
    case ValueErrorType.NumberMinimum:
    case ValueErrorType.IntegerMinimum:
      return `must be ≥ ${s.minimum}`;
    case ValueErrorType.NumberMaximum:
    case ValueErrorType.IntegerMaximum:
      return `must be ≤ ${s.maximum}`;
    case ValueErrorType.Integer:
      return 'must be a whole number';
    case ValueErrorType.Number:
      return 'must be a number';
    case ValueErrorType.String:
      return 'must be a string';
    case ValueErrorType.Boolean:
      return 'must be true or false';
    case ValueErrorType.Array:
      return 'must be a list';
    case ValueErrorType.Object:
      return 'must be a mapping';
    case ValueErrorType.StringMinLength:
      return s.minLength === 1 ? 'must not be empty' : `must be at least ${s.minLength} characters`;
    case ValueErrorType.StringMaxLength:
      return `must be at most ${s.maxLength} characters`;
    case ValueErrorType.StringPattern:
      return `must match ${s.pattern}`;
    case ValueErrorType.StringFormat:
      return s.format === 'date-time' ? 'must be an ISO 8601 date-time such as 2027-01-31T00:00:00Z' : `must be a ${s.format}`;
    case ValueErrorType.ObjectAdditionalProperties:
      return 'unknown key';
    case ValueErrorType.ObjectRequiredProperty:
      return 'is required';
    case ValueErrorType.Union: {
      const opts = (s.anyOf as Record<string, unknown>[] | undefined)?.map((o) => (o.const !== undefined ? JSON.stringify(o.const) : String(o.type))) ?? [];
      return `must be one of ${opts.join(', ')}`;
    }
    default:
      return e.message.toLowerCase();
  }
}

/**
 * Validate `value` against `schema`; return one message per problem, each naming its YAML path.
 * Additional-property errors name the offending key itself.
 */
export function validate(schema: TSchema, value: unknown, base = ''): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const e of Value.Errors(schema, value)) {
    const path = e.path;
    push(`${yamlPath(path, base)}: ${describe(e)}`);
  }
  return out;
  function push(msg: string) {
    const key = msg.split(':')[0]!;
    if (seen.has(key)) return;
    seen.add(key);
    out.push(msg);
  }
}

/** Fill in schema defaults, returning a new value. */
export function withDefaults<T>(schema: TSchema, value: unknown): T {
  return Value.Default(schema, structuredClone(value ?? {})) as T;
}
