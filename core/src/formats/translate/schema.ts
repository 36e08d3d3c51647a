/**
 * JSON Schema ↔ Gemini's schema (a subset of OpenAPI 3.0). Gemini rejects keywords outside its
 * subset, so the way in keeps exactly the ones it knows, resolves local `$ref`s inline and says
 * what it stripped; the way out turns Gemini's dialect back into plain JSON Schema.
 */
import { type Drops, isRecord } from './shared.ts';

/** Keywords copied as they are. */
const KEEP = ['title', 'description', 'nullable', 'minItems', 'maxItems', 'minimum', 'maximum', 'minLength', 'maxLength', 'minProperties', 'maxProperties', 'propertyOrdering'];
/** Handled specially below. */
const STRUCTURAL = ['type', 'format', 'enum', 'const', 'properties', 'required', 'items', 'anyOf', 'oneOf', 'allOf', '$ref', '$defs', 'definitions'];
/** `format` values Gemini accepts, per type. */
const FORMATS: Record<string, string[]> = { string: ['enum', 'date-time'], number: ['float', 'double'], integer: ['int32', 'int64'] };
/** Deeper `$ref` chains (recursive schemas) end in a plain object. */
const MAX_REF_DEPTH = 6;

type Schema = Record<string, unknown>;

function resolveRef(ref: string, root: Schema): Schema | undefined {
  const m = /^#\/(\$defs|definitions)\/(.+)$/.exec(ref);
  if (!m) return undefined;
  const defs = root[m[1]!];
  const target = isRecord(defs) ? defs[decodeURIComponent(m[2]!).replace(/~1/g, '/').replace(/~0/g, '~')] : undefined;
  return isRecord(target) ? target : undefined;
}

function setType(out: Schema, type: unknown, drops: Drops): Schema | undefined {
  if (typeof type === 'string') {
    if (type === 'null') out.nullable = true;
    else out.type = type.toLowerCase();
    return undefined;
  }
  if (!Array.isArray(type)) return undefined;
  const types = type.filter((t): t is string => typeof t === 'string' && t !== 'null');
  if (types.length < type.length) out.nullable = true;
  if (types.length === 1) out.type = types[0];
  else if (types.length > 1) {
    drops.add('tool schema: type unions (as anyOf)');
    return { anyOf: types.map((t) => ({ type: t })) };
  }
  return undefined;
}

function clean(s: unknown, root: Schema, drops: Drops, depth: number): Schema {
  if (!isRecord(s)) return {};
  if (typeof s.$ref === 'string') {
    const target = depth < MAX_REF_DEPTH ? resolveRef(s.$ref, root) : undefined;
    if (!target) {
      drops.add('tool schema: unresolvable or recursive $ref (as object)');
      return { type: 'object', ...(typeof s.description === 'string' ? { description: s.description } : {}) };
    }
    const { $ref: _ref, ...rest } = s;
    return clean({ ...target, ...rest }, root, drops, depth + 1);
  }
  const out: Schema = {};
  for (const k of Object.keys(s)) {
    if (KEEP.includes(k)) out[k] = s[k];
    else if (!STRUCTURAL.includes(k)) drops.add(`tool schema: ${k}`);
  }
  const union = setType(out, s.type, drops);
  if (union) Object.assign(out, union);
  if (s.const !== undefined) {
    if (typeof s.const === 'string') {
      out.type ??= 'string';
      out.enum = [s.const];
    } else drops.add('tool schema: non-string const');
  }
  if (Array.isArray(s.enum)) {
    if (s.enum.every((v) => typeof v === 'string')) {
      out.enum = s.enum;
      out.type ??= 'string';
    } else drops.add('tool schema: non-string enum');
  }
  if (typeof s.format === 'string') {
    if (FORMATS[String(out.type)]?.includes(s.format)) out.format = s.format;
    else drops.add(`tool schema: format ${s.format}`);
  }
  if (isRecord(s.properties)) {
    const props: Schema = {};
    for (const [name, p] of Object.entries(s.properties)) props[name] = clean(p, root, drops, depth);
    if (Object.keys(props).length > 0) {
      out.properties = props;
      out.type ??= 'object';
      if (Array.isArray(s.required)) {
        const required = s.required.filter((r): r is string => typeof r === 'string' && r in props);
        if (required.length > 0) out.required = required;
      }
    }
  }
  if (s.items !== undefined) {
    out.items = clean(Array.isArray(s.items) ? s.items[0] : s.items, root, drops, depth);
    out.type ??= 'array';
  }
  const alts = Array.isArray(s.anyOf) ? s.anyOf : Array.isArray(s.oneOf) ? s.oneOf : undefined;
  if (alts) {
    const nonNull = alts.filter((a) => !(isRecord(a) && a.type === 'null'));
    if (nonNull.length < alts.length) out.nullable = true;
    if (nonNull.length === 1) Object.assign(out, clean(nonNull[0], root, drops, depth), out.nullable ? { nullable: true } : {});
    else out.anyOf = nonNull.map((a) => clean(a, root, drops, depth));
  }
  if (Array.isArray(s.allOf)) {
    drops.add('tool schema: allOf (merged)');
    for (const part of s.allOf) {
      const c = clean(part, root, drops, depth);
      const props = { ...(isRecord(out.properties) ? out.properties : {}), ...(isRecord(c.properties) ? c.properties : {}) };
      const required = [...(Array.isArray(out.required) ? out.required : []), ...(Array.isArray(c.required) ? c.required : [])];
      Object.assign(out, c, Object.keys(props).length ? { properties: props } : {}, required.length ? { required } : {});
    }
  }
  return out;
}

/**
 * JSON Schema → Gemini function parameters. Returns undefined for an object without properties,
 * which Gemini rejects and which means "no arguments" anyway.
 */
export function toGeminiSchema(schema: Record<string, unknown>, drops: Drops): Record<string, unknown> | undefined {
  const out = clean(schema, schema, drops, 0);
  if (out.type === 'object' && !isRecord(out.properties)) return undefined;
  return out;
}

/** Gemini schema (upper-case types, `nullable`) → JSON Schema. */
export function fromGeminiSchema(s: unknown): Record<string, unknown> {
  if (!isRecord(s)) return {};
  const out: Schema = {};
  for (const [k, v] of Object.entries(s)) {
    switch (k) {
      case 'type':
        if (typeof v === 'string' && v !== 'TYPE_UNSPECIFIED') out.type = v.toLowerCase();
        break;
      case 'nullable':
      case 'propertyOrdering':
        break;
      case 'properties':
        if (isRecord(v)) out.properties = Object.fromEntries(Object.entries(v).map(([n, p]) => [n, fromGeminiSchema(p)]));
        break;
      case 'items':
        out.items = fromGeminiSchema(v);
        break;
      case 'anyOf':
        if (Array.isArray(v)) out.anyOf = v.map(fromGeminiSchema);
        break;
      default:
        out[k] = v;
    }
  }
  if (s.nullable === true && typeof out.type === 'string') out.type = [out.type, 'null'];
  return out;
}
