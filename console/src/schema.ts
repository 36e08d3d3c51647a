/**
 * JSON Schema helpers for SchemaForm. Understands the subset plugins produce
 * (TypeBox / hand-written draft-07 / 2020-12): objects, scalars, enums written
 * as `enum`, `const` or `anyOf` of consts, nullable unions, arrays, local `$ref`s.
 */

export interface JsonSchema {
  $ref?: string;
  $defs?: Record<string, JsonSchema>;
  definitions?: Record<string, JsonSchema>;
  type?: string | string[];
  title?: string;
  description?: string;
  default?: unknown;
  examples?: unknown[];
  enum?: unknown[];
  const?: unknown;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  patternProperties?: Record<string, JsonSchema>;
  items?: JsonSchema | JsonSchema[];
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number | boolean;
  exclusiveMaximum?: number | boolean;
  multipleOf?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  format?: string;
  minItems?: number;
  maxItems?: number;
  uniqueItems?: boolean;
  minProperties?: number;
  maxProperties?: number;
  readOnly?: boolean;
  writeOnly?: boolean;
  deprecated?: boolean;
  [keyword: string]: unknown;
}

export type FieldKind =
  | 'object' // fieldset with one field per property
  | 'boolean' // checkbox
  | 'enum' // select
  | 'integer'
  | 'number'
  | 'string'
  | 'enum-list' // array of enum values: checkbox group
  | 'list' // array of scalars: textarea, one item per line
  | 'json'; // anything else: JSON textarea

export interface Field {
  kind: FieldKind;
  schema: JsonSchema; // the resolved, un-nulled schema
  nullable: boolean;
  options: unknown[]; // for enum / enum-list
}

const MAX_REF_DEPTH = 32;

/** Resolves a local `$ref` (`#/$defs/x`, `#/definitions/x`, any `#/` pointer) against `root`. */
export function resolveRef(schema: JsonSchema, root: JsonSchema | undefined): JsonSchema {
  let s = schema;
  for (let i = 0; s.$ref && i < MAX_REF_DEPTH; i++) {
    const ref = s.$ref;
    if (!root || !ref.startsWith('#')) return { ...s, $ref: undefined };
    let target: unknown = root;
    for (const raw of ref.slice(1).split('/').filter(Boolean)) {
      const part = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
      target = target && typeof target === 'object' ? (target as Record<string, unknown>)[part] : undefined;
    }
    if (!target || typeof target !== 'object') return { ...s, $ref: undefined };
    const { $ref: _drop, ...rest } = s;
    s = { ...(target as JsonSchema), ...rest };
  }
  return s;
}

function isNullSchema(s: JsonSchema): boolean {
  return s.type === 'null' || (s.const === null && s.type === undefined);
}

function literalOf(s: JsonSchema): { ok: boolean; value?: unknown } {
  if ('const' in s) return { ok: true, value: s.const };
  if (Array.isArray(s.enum) && s.enum.length === 1) return { ok: true, value: s.enum[0] };
  return { ok: false };
}

/** Enum values of a schema, or null when it is not an enumeration. */
export function enumValues(s: JsonSchema): unknown[] | null {
  if (Array.isArray(s.enum)) return s.enum;
  if ('const' in s) return [s.const];
  const branches = s.anyOf ?? s.oneOf;
  if (branches && branches.length) {
    const values: unknown[] = [];
    for (const b of branches) {
      const lit = literalOf(b);
      if (!lit.ok) return null;
      values.push(lit.value);
    }
    return values;
  }
  return null;
}

/** Strips `null` from `type: [x, 'null']` and `anyOf: [x, {type:'null'}]`; merges `allOf`. */
export function unwrap(schema: JsonSchema, root?: JsonSchema): { schema: JsonSchema; nullable: boolean } {
  let s = resolveRef(schema, root);
  let nullable = false;
  if (Array.isArray(s.type)) {
    const types = s.type.filter((t) => t !== 'null');
    nullable = types.length !== s.type.length;
    s = { ...s, type: types.length === 1 ? types[0] : types };
  }
  const branchKey = s.anyOf ? 'anyOf' : s.oneOf ? 'oneOf' : undefined;
  if (branchKey) {
    const branches = s[branchKey] as JsonSchema[];
    const nonNull = branches.filter((b) => !isNullSchema(resolveRef(b, root)));
    if (nonNull.length !== branches.length) {
      nullable = true;
      const { [branchKey]: _drop, ...rest } = s;
      s = nonNull.length === 1 ? { ...resolveRef(nonNull[0], root), ...rest } : { ...rest, [branchKey]: nonNull };
    }
  }
  if (s.allOf && s.allOf.length) {
    const { allOf, ...rest } = s;
    s = allOf.reduce<JsonSchema>((acc, part) => {
      const p = unwrap(part, root).schema;
      return {
        ...acc,
        ...p,
        ...rest,
        properties: { ...acc.properties, ...p.properties, ...rest.properties },
        required: [...(acc.required ?? []), ...(p.required ?? []), ...(rest.required ?? [])],
      };
    }, {});
  }
  return { schema: s, nullable };
}

function scalarType(s: JsonSchema): string | undefined {
  if (typeof s.type === 'string') return s.type;
  if (s.properties) return 'object';
  if (s.items) return 'array';
  return undefined;
}

export function describeField(schema: JsonSchema, root?: JsonSchema): Field {
  const { schema: s, nullable } = unwrap(schema, root);
  const base = { schema: s, nullable, options: [] as unknown[] };
  const values = enumValues(s);
  if (values) return { ...base, kind: 'enum', options: values };
  const type = scalarType(s);
  switch (type) {
    case 'object':
      return { ...base, kind: s.properties ? 'object' : 'json' };
    case 'boolean':
      return { ...base, kind: 'boolean' };
    case 'integer':
      return { ...base, kind: 'integer' };
    case 'number':
      return { ...base, kind: 'number' };
    case 'string':
      return { ...base, kind: 'string' };
    case 'array': {
      if (!s.items || Array.isArray(s.items)) return { ...base, kind: 'json' };
      const item = unwrap(s.items, root).schema;
      const itemValues = enumValues(item);
      if (itemValues) return { ...base, kind: 'enum-list', options: itemValues };
      const itemType = scalarType(item);
      if (itemType === 'string' || itemType === 'number' || itemType === 'integer') return { ...base, kind: 'list' };
      return { ...base, kind: 'json' };
    }
    default:
      return { ...base, kind: 'json' };
  }
}

/** The item type of a `list` field, used to convert edited lines back. */
export function listItemType(s: JsonSchema, root?: JsonSchema): string {
  if (!s.items || Array.isArray(s.items)) return 'string';
  return scalarType(unwrap(s.items, root).schema) ?? 'string';
}

const fmtNum = (n: number) => n.toLocaleString('en-US', { maximumFractionDigits: 10 });

/** Human-readable constraints, e.g. `["≥ 1", "≤ 1000"]`, `["length 1–100"]`. */
export function constraints(s: JsonSchema): string[] {
  const out: string[] = [];
  const exMin = typeof s.exclusiveMinimum === 'number' ? s.exclusiveMinimum : s.exclusiveMinimum === true ? s.minimum : undefined;
  const exMax = typeof s.exclusiveMaximum === 'number' ? s.exclusiveMaximum : s.exclusiveMaximum === true ? s.maximum : undefined;
  if (exMin !== undefined) out.push(`> ${fmtNum(exMin)}`);
  else if (typeof s.minimum === 'number') out.push(`≥ ${fmtNum(s.minimum)}`);
  if (exMax !== undefined) out.push(`< ${fmtNum(exMax)}`);
  else if (typeof s.maximum === 'number') out.push(`≤ ${fmtNum(s.maximum)}`);
  if (typeof s.multipleOf === 'number') out.push(`multiple of ${fmtNum(s.multipleOf)}`);
  out.push(...range('length', s.minLength, s.maxLength));
  out.push(...range('items', s.minItems, s.maxItems));
  out.push(...range('keys', s.minProperties, s.maxProperties));
  if (s.uniqueItems) out.push('unique items');
  if (typeof s.format === 'string') out.push(`format ${s.format}`);
  if (typeof s.pattern === 'string') out.push(`pattern ${s.pattern}`);
  return out;
}

function range(what: string, min: number | undefined, max: number | undefined): string[] {
  const hasMin = typeof min === 'number' && min > 0;
  const hasMax = typeof max === 'number';
  if (hasMin && hasMax) return [min === max ? `${what} ${min}` : `${what} ${min}–${max}`];
  if (hasMin) return [`${what} ≥ ${min}`];
  if (hasMax) return [`${what} ≤ ${max}`];
  return [];
}

/** Compact JSON-ish rendering of a value for hints (`"UTC"`, `30000`, `["default"]`). */
export function formatValue(v: unknown): string {
  if (v === undefined) return '';
  if (typeof v === 'string') return JSON.stringify(v);
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}

/** The label of a property: its `title`, else its key. */
export function labelOf(key: string, s: JsonSchema): string {
  return typeof s.title === 'string' && s.title.trim() ? s.title : key;
}

/** A string usable inside an element id. */
export function idSafe(s: string): string {
  return s.replace(/[^A-Za-z0-9_.:-]+/g, '_');
}
