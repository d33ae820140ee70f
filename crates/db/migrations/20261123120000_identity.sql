-- Identity and access: accounts, role assignments with their scope, refresh
-- token families, one-time tokens (password reset, email verification),
-- API keys and the address book. Minimal `stores` and `companies` tables
-- are created here so roles can be scoped to them; inventory and B2B fill
-- them out later.

CREATE TABLE stores (
    id         uuid        PRIMARY KEY,
    code       text        NOT NULL UNIQUE CHECK (code ~ '^[A-Z0-9][A-Z0-9-]{1,31}$'),
    name       text        NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE companies (
    id         uuid        PRIMARY KEY,
    name       text        NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE users (
    id                uuid        PRIMARY KEY,
    -- Kept as typed; unique without regard to case (index below).
    email             text        NOT NULL CHECK (length(email) BETWEEN 3 AND 254),
    password_hash     text        NOT NULL,
    first_name        text        NOT NULL CHECK (length(first_name) BETWEEN 1 AND 100),
    last_name         text        NOT NULL CHECK (length(last_name) BETWEEN 1 AND 100),
    -- AES-256-GCM: key id, then nonce and ciphertext (see server::crypto).
    phone_encrypted   bytea,
    status            text        NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
    email_verified_at timestamptz,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    version           integer     NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX users_email_key ON users (lower(email));
CREATE INDEX users_created ON users (created_at DESC, id DESC);

-- A role and the scope it holds over: managers and cashiers over a store,
-- B2B roles over a company, administrators and customers over nothing.
CREATE TABLE role_assignments (
    id         uuid        PRIMARY KEY,
    user_id    uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role       text        NOT NULL CHECK (role IN ('admin', 'manager', 'cashier', 'b2b_buyer', 'b2b_admin', 'customer')),
    store_id   uuid        REFERENCES stores (id),
    company_id uuid        REFERENCES companies (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT role_assignments_scope CHECK (
        CASE role
            WHEN 'manager'   THEN store_id IS NOT NULL AND company_id IS NULL
            WHEN 'cashier'   THEN store_id IS NOT NULL AND company_id IS NULL
            WHEN 'b2b_buyer' THEN company_id IS NOT NULL AND store_id IS NULL
            WHEN 'b2b_admin' THEN company_id IS NOT NULL AND store_id IS NULL
            ELSE store_id IS NULL AND company_id IS NULL
        END
    )
);
CREATE UNIQUE INDEX role_assignments_unique
    ON role_assignments (user_id, role, coalesce(store_id, company_id, '00000000-0000-0000-0000-000000000000'));

-- Refresh tokens, stored as SHA-256. A login starts a family (a session);
-- each refresh uses one token and issues the next in the same family. A
-- token presented twice means it was stolen: the whole family is revoked.
CREATE TABLE refresh_tokens (
    id         uuid        PRIMARY KEY,
    family_id  uuid        NOT NULL,
    user_id    uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash bytea       NOT NULL UNIQUE,
    issued_at  timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    used_at    timestamptz,
    revoked_at timestamptz
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_user ON refresh_tokens (user_id) WHERE revoked_at IS NULL;

-- One row per session (refresh token family), for `GET /me/sessions`.
CREATE TABLE sessions (
    id           uuid        PRIMARY KEY, -- the family id
    user_id      uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    user_agent   text,
    ip           text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz NOT NULL DEFAULT now(),
    revoked_at   timestamptz
);
CREATE INDEX sessions_user ON sessions (user_id, created_at DESC) WHERE revoked_at IS NULL;

ALTER TABLE refresh_tokens
    ADD CONSTRAINT refresh_tokens_family_fkey FOREIGN KEY (family_id) REFERENCES sessions (id) ON DELETE CASCADE;

-- Single-use tokens sent by email, stored as SHA-256.
CREATE TABLE one_time_tokens (
    id         uuid        PRIMARY KEY,
    user_id    uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose    text        NOT NULL CHECK (purpose IN ('password_reset', 'email_verification')),
    token_hash bytea       NOT NULL UNIQUE,
    expires_at timestamptz NOT NULL,
    used_at    timestamptz,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX one_time_tokens_user ON one_time_tokens (user_id, purpose) WHERE used_at IS NULL;

-- Keys for integrations. The secret is shown once; only its SHA-256 is kept
-- (a 256-bit random secret needs no slow hash). `prefix` identifies the key
-- in lists and logs.
CREATE TABLE api_keys (
    id           uuid        PRIMARY KEY,
    name         text        NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    prefix       text        NOT NULL UNIQUE,
    secret_hash  bytea       NOT NULL UNIQUE,
    scopes       text[]      NOT NULL CHECK (cardinality(scopes) > 0),
    created_by   uuid        REFERENCES users (id) ON DELETE SET NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz,
    last_used_at timestamptz,
    revoked_at   timestamptz
);
CREATE INDEX api_keys_created ON api_keys (created_at DESC, id DESC);

CREATE TABLE addresses (
    id                  uuid        PRIMARY KEY,
    user_id             uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    label               text        CHECK (length(label) <= 50),
    first_name          text        NOT NULL CHECK (length(first_name) BETWEEN 1 AND 100),
    last_name           text        NOT NULL CHECK (length(last_name) BETWEEN 1 AND 100),
    company             text        CHECK (length(company) <= 100),
    line1               text        NOT NULL CHECK (length(line1) BETWEEN 1 AND 200),
    line2               text        CHECK (length(line2) <= 200),
    postal_code         text        NOT NULL CHECK (length(postal_code) BETWEEN 1 AND 20),
    city                text        NOT NULL CHECK (length(city) BETWEEN 1 AND 100),
    country             char(2)     NOT NULL CHECK (country ~ '^[A-Z]{2}$'),
    phone_encrypted     bytea,
    is_default_shipping boolean     NOT NULL DEFAULT false,
    is_default_billing  boolean     NOT NULL DEFAULT false,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX addresses_user ON addresses (user_id, created_at);
CREATE UNIQUE INDEX addresses_one_default_shipping ON addresses (user_id) WHERE is_default_shipping;
CREATE UNIQUE INDEX addresses_one_default_billing ON addresses (user_id) WHERE is_default_billing;
