import fs from 'node:fs';
import path from 'node:path';
import { LineCounter, parseDocument, isNode } from 'yaml';
import { errors } from '../errors.ts';
import { GatewayConfigSchema, type GatewayConfig } from './schema.ts';
import { interpolate } from './interpolate.ts';
import { validate, withDefaults } from './validate.ts';

export interface LoadedConfig {
  config: GatewayConfig;
  /** Absolute path of the file, or undefined for inline config. */
  file: string | undefined;
  /** Folder that relative plugin paths resolve against. */
  baseDir: string;
}

/** Parse, interpolate and validate YAML text. Errors name the YAML path and line. */
export function parseConfig(text: string, opts: { file?: string; env?: NodeJS.ProcessEnv } = {}): LoadedConfig {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length) throw errors.configInvalid(doc.errors.map((e) => e.message.split('\n')[0]!), opts.file);
  const raw = doc.toJS() ?? {};
  const data = interpolate(raw, opts.env ?? process.env);
  const issues = validate(GatewayConfigSchema, data).map((msg) => withLine(msg, doc, lc));
  if (issues.length) throw errors.configInvalid(issues, opts.file);
  const config = withDefaults<GatewayConfig>(GatewayConfigSchema, data);
  checkReferences(config);
  return { config, file: opts.file, baseDir: opts.file ? path.dirname(opts.file) : process.cwd() };
}

export function loadConfigFile(file: string, env: NodeJS.ProcessEnv = process.env): LoadedConfig {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    throw errors.configNotFound(file);
  }
  return parseConfig(text, { file, env });
}

/** Cross-references the schema cannot express: unique names, users pointing at groups, key material. */
function checkReferences(c: GatewayConfig): void {
  const issues: string[] = [];
  const unique = (list: { name: string }[] | undefined, at: string) => {
    const seen = new Set<string>();
    list?.forEach((x, i) => {
      if (seen.has(x.name)) issues.push(`${at}[${i}].name: duplicate name "${x.name}"`);
      seen.add(x.name);
    });
  };
  unique(c.providers, 'providers');
  unique(c.groups, 'groups');
  unique(c.users, 'users');
  const groups = new Set(c.groups?.map((g) => g.name));
  c.users?.forEach((u, i) => {
    if (u.group && !groups.has(u.group)) issues.push(`users[${i}].group: no group named "${u.group}"`);
    unique(u.keys, `users[${i}].keys`);
    u.keys?.forEach((k, j) => {
      if (!k.key === !k.keyHash) issues.push(`users[${i}].keys[${j}]: give exactly one of key or keyHash`);
    });
  });
  c.plugins.forEach((p, i) => {
    if (!p.name === !p.path) issues.push(`plugins[${i}]: give exactly one of name or path`);
  });
  if (issues.length) throw errors.configInvalid(issues);
}

function withLine(msg: string, doc: ReturnType<typeof parseDocument>, lc: LineCounter): string {
  const p = msg.slice(0, msg.indexOf(':'));
  const segs = p.split(/\.|\[(\d+)\]/).filter((s) => s !== undefined && s !== '').map((s) => (/^\d+$/.test(s) ? Number(s) : s));
  for (let n = segs.length; n > 0; n--) {
    const node = doc.getIn(segs.slice(0, n), true);
    if (isNode(node) && node.range) return `${msg} (line ${lc.linePos(node.range[0]).line})`;
  }
  return msg;
}
