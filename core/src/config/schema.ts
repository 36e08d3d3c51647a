import { Type, type Static } from '@sinclair/typebox';

const Usd = (description: string) => Type.Number({ minimum: 0, description });

/** Limits, valid on keys, users, groups and providers (SPEC §3). */
export const LimitsSchema = Type.Object(
  {
    rpm: Type.Optional(Type.Integer({ minimum: 1, description: 'Requests per minute (sliding window).' })),
    concurrentSessions: Type.Optional(Type.Integer({ minimum: 1, description: 'Distinct sessions active at once.' })),
    concurrentRequests: Type.Optional(Type.Integer({ minimum: 1, description: 'Requests in flight at once (hard cap).' })),
    usd5h: Type.Optional(Usd('USD spend over a rolling 5 hours.')),
    usdDaily: Type.Optional(Usd('USD spend per calendar day.')),
    usdWeekly: Type.Optional(Usd('USD spend per calendar week (Monday start).')),
    usdMonthly: Type.Optional(Usd('USD spend per calendar month.')),
    usdTotal: Type.Optional(Usd('USD spend, all time.')),
  },
  { additionalProperties: false },
);
export type Limits = Static<typeof LimitsSchema>;

const Format = Type.Union([
  Type.Literal('anthropic-messages'),
  Type.Literal('openai-chat'),
  Type.Literal('openai-responses'),
  Type.Literal('gemini'),
]);

export const PluginEntrySchema = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, description: 'Built-in plugin name or npm package name.' })),
    path: Type.Optional(Type.String({ minLength: 1, description: 'Local plugin folder, relative to the YAML file.' })),
    options: Type.Optional(Type.Record(Type.String(), Type.Unknown(), { description: 'Plugin options, validated by the plugin schema.' })),
    enabled: Type.Optional(Type.Boolean({ default: true })),
  },
  { additionalProperties: false },
);
export type PluginEntry = Static<typeof PluginEntrySchema>;

export const TimeoutsSchema = Type.Object(
  {
    connectMs: Type.Optional(Type.Integer({ minimum: 100, maximum: 300_000 })),
    firstByteMs: Type.Optional(Type.Integer({ minimum: 100, maximum: 3_600_000 })),
    idleMs: Type.Optional(Type.Integer({ minimum: 100, maximum: 3_600_000 })),
    totalMs: Type.Optional(Type.Integer({ minimum: 100, maximum: 7_200_000 })),
  },
  { additionalProperties: false },
);

export const ProviderConfigSchema = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 100 }),
    type: Type.String({ minLength: 1, description: 'claude | codex | gemini | gemini-cli | openai, or a plugin-provided type.' }),
    url: Type.String({ pattern: '^https?://', description: 'Base URL, with or without the version root.' }),
    key: Type.String({ minLength: 1, description: 'Credential; stored encrypted.' }),
    weight: Type.Optional(Type.Integer({ minimum: 0, maximum: 1000, default: 1 })),
    priority: Type.Optional(Type.Integer({ minimum: 0, maximum: 1000, default: 0 })),
    groups: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { default: ['default'] })),
    models: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { default: [] })),
    modelRedirects: Type.Optional(Type.Record(Type.String(), Type.String({ minLength: 1 }))),
    costMultiplier: Type.Optional(Type.Number({ minimum: 0, maximum: 100, default: 1 })),
    limits: Type.Optional(LimitsSchema),
    enabled: Type.Optional(Type.Boolean({ default: true })),
    acceptsTranslation: Type.Optional(Type.Union([Type.Boolean(), Type.Array(Format)])),
    timeouts: Type.Optional(TimeoutsSchema),
  },
  { additionalProperties: false },
);
export type ProviderConfig = Static<typeof ProviderConfigSchema>;

export const GroupConfigSchema = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 100 }),
    providerGroups: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { default: ['default'] })),
    limits: Type.Optional(LimitsSchema),
  },
  { additionalProperties: false },
);
export type GroupConfig = Static<typeof GroupConfigSchema>;

export const KeyConfigSchema = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 100 }),
    key: Type.Optional(Type.String({ minLength: 8, description: 'Plaintext hub key (from the environment).' })),
    keyHash: Type.Optional(Type.String({ pattern: '^sha256:[0-9a-f]{64}$', description: 'sha256:<hex> of the key.' })),
    enabled: Type.Optional(Type.Boolean({ default: true })),
    expiresAt: Type.Optional(Type.String({ format: 'date-time' })),
    allowedModels: Type.Optional(Type.Array(Type.String())),
    allowedClients: Type.Optional(Type.Array(Type.String())),
    providerGroups: Type.Optional(Type.Array(Type.String())),
    limits: Type.Optional(LimitsSchema),
  },
  { additionalProperties: false },
);
export type KeyConfig = Static<typeof KeyConfigSchema>;

export const UserConfigSchema = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 100 }),
    group: Type.Optional(Type.String({ minLength: 1 })),
    enabled: Type.Optional(Type.Boolean({ default: true })),
    providerGroups: Type.Optional(Type.Array(Type.String())),
    limits: Type.Optional(LimitsSchema),
    keys: Type.Optional(Type.Array(KeyConfigSchema)),
  },
  { additionalProperties: false },
);
export type UserConfig = Static<typeof UserConfigSchema>;

export const SettingsSchema = Type.Object(
  {
    timezone: Type.Optional(Type.String({ default: 'UTC', description: 'IANA time zone for calendar USD windows.' })),
    maxBodyBytes: Type.Optional(Type.Integer({ minimum: 1024, maximum: 512 * 1024 * 1024, default: 64 * 1024 * 1024 })),
    shutdownGraceMs: Type.Optional(Type.Integer({ minimum: 0, maximum: 600_000, default: 30_000 })),
    providerTests: Type.Optional(
      Type.Object(
        {
          allowPrivateNetworks: Type.Optional(
            Type.Boolean({ default: false, description: 'Let the admin API test providers on loopback, private and link-local addresses (refused by default: SSRF).' }),
          ),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

export const GatewayConfigSchema = Type.Object(
  {
    settings: Type.Optional(SettingsSchema),
    plugins: Type.Array(PluginEntrySchema),
    providers: Type.Optional(Type.Array(ProviderConfigSchema)),
    groups: Type.Optional(Type.Array(GroupConfigSchema)),
    users: Type.Optional(Type.Array(UserConfigSchema)),
  },
  { additionalProperties: false },
);
export type GatewayConfig = Static<typeof GatewayConfigSchema>;
