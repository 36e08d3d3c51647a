/**
 * The catalogue of coded errors. Boot-time and operator errors carry a stable `code`
 * (`CCH_ERR_…`) so scripts and docs can refer to them; client-facing errors carry an HTTP
 * status and an error kind that each wire format renders in its own shape.
 */

/**
 * Brands that make `instanceof` work across copies of core: the bundled `cch` carries its own
 * copy, and a TypeScript plugin loaded beside it imports `@cch/core` from source. An error made
 * by either copy is recognised by both.
 */
const CCH_ERROR = Symbol.for('cch.CchError');
const GATEWAY_ERROR = Symbol.for('cch.GatewayError');
const branded = (value: unknown, brand: symbol): boolean => typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[brand] === true;

/** An operator-facing error with a stable code. */
export class CchError extends Error {
  declare readonly [CCH_ERROR]: true;
  static override [Symbol.hasInstance](value: unknown): boolean {
    return branded(value, CCH_ERROR);
  }
  constructor(
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(`${code}: ${message}`);
    this.name = 'CchError';
    Object.defineProperty(this, CCH_ERROR, { value: true });
  }
}

export const errors = {
  configInvalid: (issues: string[], file?: string) =>
    new CchError('CCH_ERR_CONFIG_INVALID', `invalid configuration${file ? ` in ${file}` : ''}:\n  ${issues.join('\n  ')}`, { issues, file }),
  configNotFound: (file: string) => new CchError('CCH_ERR_CONFIG_NOT_FOUND', `configuration file not found: ${file}`, { file }),
  envMissing: (name: string, at: string) =>
    new CchError('CCH_ERR_ENV_MISSING', `${at}: environment variable ${name} is not set (use \${${name}:-default} for a default)`, { name, at }),
  pluginNotFound: (ref: string, at: string, cause?: string) =>
    new CchError('CCH_ERR_PLUGIN_NOT_FOUND', `${at}: plugin "${ref}" not found${cause ? ` (${cause})` : ''}`, { ref, at }),
  pluginInvalid: (ref: string, at: string, why: string) =>
    new CchError('CCH_ERR_PLUGIN_INVALID', `${at}: "${ref}" is not a plugin: ${why}`, { ref, at }),
  pluginOptionsInvalid: (plugin: string, issues: string[]) =>
    new CchError('CCH_ERR_PLUGIN_OPTIONS_INVALID', `plugin "${plugin}" has invalid options:\n  ${issues.join('\n  ')}`, { plugin, issues }),
  pluginDependencyMissing: (plugin: string, dependency: string, at: string) =>
    new CchError(
      'CCH_ERR_PLUGIN_DEPENDENCY_MISSING',
      `${at}: plugin "${plugin}" depends on "${dependency}", which is not loaded (add it to plugins: before "${plugin}")`,
      { plugin, dependency, at },
    ),
  pluginDependencyCycle: (cycle: string[]) =>
    new CchError('CCH_ERR_PLUGIN_DEPENDENCY_CYCLE', `plugin dependencies form a cycle: ${cycle.join(' → ')}`, { cycle }),
  pluginDuplicate: (name: string, at: string) =>
    new CchError('CCH_ERR_PLUGIN_DUPLICATE', `${at}: plugin "${name}" is loaded twice`, { name, at }),
  pluginCoreRange: (plugin: string, range: string, core: string) =>
    new CchError('CCH_ERR_PLUGIN_CORE_VERSION', `plugin "${plugin}" supports core ${range}, this is core ${core}`, { plugin, range, core }),
  pluginSetupFailed: (plugin: string, cause: unknown) =>
    new CchError('CCH_ERR_PLUGIN_SETUP', `plugin "${plugin}" failed in setup: ${cause instanceof Error ? cause.message : String(cause)}`, { plugin }),
  serviceMissing: (name: string, by: string) =>
    new CchError('CCH_ERR_SERVICE_MISSING', `plugin "${by}" needs service "${name}", which no loaded plugin provides`, { name, by }),
  serviceDuplicate: (name: string, by: string, first: string) =>
    new CchError('CCH_ERR_SERVICE_DUPLICATE', `plugin "${by}" provides service "${name}", already provided by "${first}"`, { name, by, first }),
  providerTypeDuplicate: (type: string, by: string) =>
    new CchError('CCH_ERR_PROVIDER_TYPE_DUPLICATE', `plugin "${by}" registers provider type "${type}", which is already registered`, { type, by }),
  secretMissing: () =>
    new CchError('CCH_ERR_SECRET_MISSING', 'CCH_SECRET must be set when DSN is set (it encrypts provider keys at rest; use 32+ random characters)'),
  adminTokenInsecure: () =>
    new CchError('CCH_ERR_ADMIN_TOKEN_INSECURE', 'ADMIN_TOKEN is "change-me" while NODE_ENV=production; set a strong token'),
  dbUnavailable: (cause: string) => new CchError('CCH_ERR_DB_UNAVAILABLE', `database unavailable: ${cause}`),
  storeUnavailable: (cause: string) => new CchError('CCH_ERR_STORE_UNAVAILABLE', `store unavailable: ${cause}`),
};

/**
 * The kinds of client-facing failure. Each wire format maps a kind to its own error type
 * and status text (see formats/errors.ts).
 */
export type ClientErrorKind =
  | 'invalid_request'
  | 'authentication'
  | 'permission'
  | 'not_found'
  | 'request_too_large'
  | 'rate_limit'
  | 'quota_exceeded'
  | 'overloaded'
  | 'timeout'
  | 'upstream'
  | 'internal';

/** An error that is answered to the client in its own wire format. */
export class GatewayError extends Error {
  declare readonly [GATEWAY_ERROR]: true;
  static override [Symbol.hasInstance](value: unknown): boolean {
    return branded(value, GATEWAY_ERROR);
  }
  constructor(
    readonly status: number,
    readonly kind: ClientErrorKind,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'GatewayError';
    Object.defineProperty(this, GATEWAY_ERROR, { value: true });
  }
}

export const clientErrors = {
  badRequest: (message: string) => new GatewayError(400, 'invalid_request', message),
  unauthorized: (message: string) => new GatewayError(401, 'authentication', message),
  forbidden: (message: string) => new GatewayError(403, 'permission', message),
  notFound: (message: string) => new GatewayError(404, 'not_found', message),
  tooLarge: (message: string) => new GatewayError(413, 'request_too_large', message),
  noProvider: (message: string) => new GatewayError(503, 'overloaded', message),
  upstream: (status: number, message: string) => new GatewayError(status, 'upstream', message),
  timeout: (message: string) => new GatewayError(504, 'timeout', message),
};
