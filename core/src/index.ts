/**
 * @cch/core — the only package a plugin imports: the plugin contract, the provider-adapter
 * contract, wire formats, storage interfaces and the gateway itself.
 */
export { createGateway, CONFIG_CHANNEL, type Gateway, type GatewayOptions, type PluginInfo, type ReadyState } from './app.ts';
export { definePlugin, PHASES, type Phase, type PluginDefinition, type SetupContext, type Services, type ProxyContext, type PhaseMiddleware, type SettleHandler, type PluginHealth } from './plugin.ts';
export type { Exchange, SettledExchange, Identity, Candidate, AttemptRecord, RoutePlan, Outcome } from './exchange.ts';
export {
  classifyHttpStatus,
  countsAsProviderFailure,
  isRetryable,
  mayFailOver,
  adapterServes,
  joinUpstreamUrl,
  DEFAULT_TIMEOUTS,
  type ProviderAdapter,
  type ProviderRecord,
  type ProviderTimeouts,
  type BuildRequestInput,
  type UpstreamRequest,
  type UpstreamErrorClass,
  type StreamUsageParser,
} from './provider.ts';
export type { ProviderDirectory } from './providers.ts';
export { emptyUsage, tokenCount, type Usage } from './usage.ts';
export { WIRE_FORMATS, matchEndpoint, type WireFormat, type Endpoint, type Operation } from './formats/index.ts';
export { renderError, renderStreamError } from './formats/errors.ts';
export { createSseParser, type SseEvent } from './formats/sse.ts';
export { CchError, GatewayError, errors, clientErrors, type ClientErrorKind } from './errors.ts';
export { forwardableRequestHeaders } from './proxy/headers.ts';
export { canServe } from './proxy/forward.ts';
export { deriveSession, firstUserMessage, type SessionInfo, type SessionInput, type SessionSource } from './session.ts';
export { globMatch, matchesAny, redirectModel, providerAllowsModel, groupsIntersect } from './models.ts';
export { hashKey, generateHubKey, keyHint, credentialHint, safeEqual, createSecretBox, type SecretBox } from './secrets.ts';
export { readEnv, type Env } from './config/env.ts';
export { parseConfig, loadConfigFile, type LoadedConfig } from './config/load.ts';
export type { GatewayConfig, Limits, ProviderConfig, GroupConfig, UserConfig, KeyConfig, PluginEntry } from './config/schema.ts';
export { createLogger, type Logger } from './log.ts';
export type { Store, ScriptDefinition, ScriptRunner, LocalDb, Clock } from './store/types.ts';
export { createMemoryStore, createRedisStore } from './store/index.ts';
export type { Database } from './db/database.ts';
export { ProviderEntity, GroupEntity, UserEntity, ApiKeyEntity, RequestLogEntity } from './db/entities.ts';
export type { ProviderRow, GroupRow, UserRow, ApiKeyRow, RequestLogRow } from './db/entities.ts';

export { CORE_VERSION } from './version.ts';
export { withDeadline } from './deadline.ts';
export { defaultProbe } from './admin/provider-test.ts';
export { calendarWindow, calendarWindows, zonedTime, localMidnight, assertTimeZone, parseResetTime, DAY_MS, type CalendarKind, type Span, type LabelledSpan } from './calendar.ts';
export {
  createPricing,
  addUsd,
  usdToUnits,
  unitsToUsd,
  parseDecimal,
  formatDecimal,
  builtinPriceTable,
  TIER_THRESHOLD_TOKENS,
  type Pricing,
  type PricingOptions,
  type PriceOverride,
  type ModelPrice,
  type CostResult,
  type TokenPrices,
  type PriceTable,
  type PriceTableEntry,
} from './pricing/index.ts';
