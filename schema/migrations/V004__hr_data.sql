-- V004 HR data: employees known to the HR system (CSV/JSON import, SCIM 2.0 provisioning) carry the
-- HR system's id, their HR-given manager (the reporting line's source when set), an active flag and
-- where the record comes from; leavers are deactivated, not deleted; applied imports are logged.

ALTER TABLE employees
    ADD COLUMN external_id    text,
    ADD COLUMN hr_manager_id  bigint REFERENCES employees (id) ON DELETE SET NULL,
    ADD COLUMN active         boolean NOT NULL DEFAULT true,
    ADD COLUMN source         text NOT NULL DEFAULT 'signup' CHECK (source IN ('signup', 'import', 'scim')),
    ADD COLUMN deactivated_at timestamptz,
    ADD CONSTRAINT employees_hr_manager_not_self CHECK (hr_manager_id IS NULL OR hr_manager_id <> id);

CREATE UNIQUE INDEX employees_external_id_key ON employees (external_id) WHERE external_id IS NOT NULL;

CREATE INDEX employees_hr_manager_idx ON employees (hr_manager_id) WHERE hr_manager_id IS NOT NULL;

-- a leaver's active pairs end with ended_by = 'leaver'
ALTER TABLE pairs DROP CONSTRAINT pairs_ended_by_check;
ALTER TABLE pairs ADD CONSTRAINT pairs_ended_by_check
    CHECK (ended_by IN ('mentor', 'mentee', 'hr', 'round_end', 'leaver'));

-- One row per applied import (dry runs change nothing, so they are not logged).
CREATE TABLE hr_imports (
    id          bigserial PRIMARY KEY,
    hr_id       bigint REFERENCES hr_accounts (id) ON DELETE SET NULL,
    format      text NOT NULL CHECK (format IN ('csv', 'json')),
    mode        text NOT NULL CHECK (mode IN ('full', 'partial')),
    rows        integer NOT NULL,
    created     integer NOT NULL,
    updated     integer NOT NULL,
    deactivated integer NOT NULL,
    rejected    integer NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
