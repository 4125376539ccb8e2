-- 0015 API key lineage (docs/auth.md "API keys", docs/adr/0011): a key created with another key
-- records its parent, so revoking the parent revokes it too, and every revocation says why.
alter table api_keys add column parent_key_id uuid references api_keys (id) on delete set null;
alter table api_keys add column revoked_reason text
  check (revoked_reason is null or revoked_reason in ('revoked', 'parent_revoked', 'password_changed', 'password_reset'));
-- Only derived keys carry a parent; the cascade walks this index.
create index api_keys_parent_key_id_idx on api_keys (parent_key_id) where parent_key_id is not null;
