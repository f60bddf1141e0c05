-- The built profile of each employee (issue 8: GET /v1/me reads it instead of building it from
-- four tables at every call). Kept exact by the triggers of schema/modules/10_employees.sql, in
-- the transaction of every write; core.profile_json stays the one owner of its shape. Rows are
-- filled (and refilled whenever the builder's definition changes) by that module at every start:
-- a versioned migration cannot call the builder, which lives in a module applied after it.
CREATE TABLE employee_profiles (
    employee_id bigint PRIMARY KEY REFERENCES employees (id) ON DELETE CASCADE,
    profile     jsonb NOT NULL,
    stale       boolean NOT NULL DEFAULT false -- a write of this transaction is yet to be built in
);

-- The fingerprint of the builder the rows of employee_profiles were built with (one row).
CREATE TABLE employee_profiles_builder (
    one         boolean PRIMARY KEY DEFAULT true CHECK (one),
    fingerprint text NOT NULL
);
