import { Migration } from '@mikro-orm/migrations';

/** Providers, groups, users, hub keys and the request log. */
export class Migration20261126000000Initial extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table if not exists cch_provider (
        id serial primary key,
        name varchar(255) not null unique,
        type varchar(255) not null,
        url varchar(2048) not null,
        key_encrypted text not null,
        weight int not null default 1,
        priority int not null default 0,
        groups jsonb not null default '["default"]',
        models jsonb not null default '[]',
        model_redirects jsonb not null default '{}',
        cost_multiplier numeric(10,4) not null default 1,
        limits jsonb not null default '{}',
        accepts_translation jsonb not null default 'false',
        timeouts jsonb not null default '{}',
        enabled boolean not null default true,
        managed_by varchar(16) not null default 'api',
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now()
      );
      create table if not exists cch_group (
        id serial primary key,
        name varchar(255) not null unique,
        provider_groups jsonb not null default '["default"]',
        limits jsonb not null default '{}',
        managed_by varchar(16) not null default 'api',
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now()
      );
      create table if not exists cch_user (
        id serial primary key,
        name varchar(255) not null unique,
        group_name varchar(255) null,
        provider_groups jsonb null,
        limits jsonb not null default '{}',
        enabled boolean not null default true,
        expires_at timestamptz null,
        managed_by varchar(16) not null default 'api',
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now()
      );
      create table if not exists cch_api_key (
        id serial primary key,
        user_id int not null references cch_user(id) on delete cascade,
        name varchar(255) not null,
        key_hash varchar(64) not null unique,
        key_hint varchar(32) not null,
        enabled boolean not null default true,
        expires_at timestamptz null,
        allowed_models jsonb null,
        allowed_clients jsonb null,
        provider_groups jsonb null,
        limits jsonb not null default '{}',
        managed_by varchar(16) not null default 'api',
        last_used_at timestamptz null,
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now(),
        unique (user_id, name)
      );
      create index if not exists cch_api_key_user_id_index on cch_api_key (user_id);
      create table if not exists cch_request_log (
        id bigserial primary key,
        request_id varchar(64) not null unique,
        created_at timestamptz not null,
        user_id int null,
        key_id int null,
        provider_id int null,
        provider_name varchar(255) null,
        attempt_count int not null default 0,
        client_format varchar(32) not null,
        provider_format varchar(32) null,
        operation varchar(32) not null,
        model varchar(255) null,
        served_model varchar(255) null,
        status int not null,
        outcome varchar(16) not null,
        error_class varchar(32) null,
        error_message text null,
        input_tokens int not null default 0,
        output_tokens int not null default 0,
        cache_creation_tokens int not null default 0,
        cache_creation5m_tokens int not null default 0,
        cache_creation1h_tokens int not null default 0,
        cache_read_tokens int not null default 0,
        reasoning_tokens int not null default 0,
        cost_usd numeric(20,10) not null default 0,
        ttfb_ms int null,
        duration_ms int not null,
        stream boolean not null default false,
        session_id varchar(255) null,
        user_agent text null,
        decision jsonb null
      );
      create index if not exists cch_request_log_created_at_index on cch_request_log (created_at desc);
      create index if not exists cch_request_log_user_created_index on cch_request_log (user_id, created_at desc);
      create index if not exists cch_request_log_key_created_index on cch_request_log (key_id, created_at desc);
      create index if not exists cch_request_log_provider_created_index on cch_request_log (provider_id, created_at desc);
      create index if not exists cch_request_log_session_index on cch_request_log (session_id);
    `);
  }

  override async down(): Promise<void> {
    this.addSql('drop table if exists cch_request_log, cch_api_key, cch_user, cch_group, cch_provider cascade;');
  }
}
