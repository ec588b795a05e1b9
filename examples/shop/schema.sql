-- The example shop's tables. Portable types only: the same file creates the
-- schema on PostgreSQL and on SQLite. Timestamps are UTC.
CREATE TABLE customers (
    id             BIGINT PRIMARY KEY,
    email          TEXT,
    phone          TEXT,
    full_name      TEXT,
    account_id     TEXT,
    status         TEXT NOT NULL DEFAULT 'active',
    created_at     TIMESTAMP NOT NULL,
    deactivated_at TIMESTAMP,
    restricted     BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX customers_email ON customers (email);
CREATE INDEX customers_phone ON customers (phone);
CREATE INDEX customers_account_id ON customers (account_id);

CREATE TABLE addresses (
    id          BIGINT PRIMARY KEY,
    customer_id BIGINT NOT NULL REFERENCES customers (id),
    line1       TEXT,
    city        TEXT,
    postcode    TEXT,
    country     TEXT
);
CREATE INDEX addresses_customer ON addresses (customer_id);

CREATE TABLE orders (
    id          BIGINT PRIMARY KEY,
    customer_id BIGINT NOT NULL REFERENCES customers (id),
    placed_at   TIMESTAMP NOT NULL,
    total       NUMERIC(12, 2) NOT NULL,
    ship_to     TEXT,
    restricted  BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX orders_customer ON orders (customer_id);

CREATE TABLE order_items (
    id         BIGINT PRIMARY KEY,
    order_id   BIGINT NOT NULL REFERENCES orders (id),
    sku        TEXT NOT NULL,
    name       TEXT NOT NULL,
    quantity   INTEGER NOT NULL,
    price      NUMERIC(12, 2) NOT NULL,
    restricted BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX order_items_order ON order_items (order_id);

CREATE TABLE login_logs (
    id          BIGINT PRIMARY KEY,
    customer_id BIGINT NOT NULL REFERENCES customers (id),
    ip          TEXT,
    user_agent  TEXT,
    at          TIMESTAMP NOT NULL,
    restricted  BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX login_logs_customer ON login_logs (customer_id);

CREATE TABLE wallets (
    id          BIGINT PRIMARY KEY,
    customer_id BIGINT NOT NULL REFERENCES customers (id),
    balance     NUMERIC(12, 2) NOT NULL DEFAULT 0,
    currency    TEXT NOT NULL
);
CREATE INDEX wallets_customer ON wallets (customer_id);
