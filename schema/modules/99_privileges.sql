-- Privileges, applied last: every function of schema api runs as its owner (SECURITY DEFINER) with a
-- search_path nobody else can write to, and only the application role (tandem.app_role, set by
-- migrate.c) may call them. It gets nothing else: no table, no function of schema core.
-- The exception: the functions of path_free run with the caller's search_path. Each names
-- everything schema-qualified (its comment says so, and test_migrations calls it under a hostile
-- path); it is kept for the hottest request, where setting the path costs 10-15 %.
DO $$
DECLARE
    f regprocedure;
    app text := current_setting('tandem.app_role');
    path_free regprocedure[] := ARRAY['api.me(bytea)'::regprocedure];
BEGIN
    FOR f IN SELECT p.oid FROM pg_proc p WHERE p.pronamespace = 'api'::regnamespace LOOP
        IF f = ANY (path_free) THEN
            EXECUTE format('ALTER FUNCTION %s SECURITY DEFINER', f);
        ELSE
            EXECUTE format('ALTER FUNCTION %s SECURITY DEFINER SET search_path = core, public, pg_temp', f);
        END IF;
    END LOOP;
    REVOKE ALL ON SCHEMA core FROM PUBLIC;
    REVOKE ALL ON SCHEMA api FROM PUBLIC;
    REVOKE ALL ON ALL FUNCTIONS IN SCHEMA api FROM PUBLIC;
    REVOKE ALL ON ALL FUNCTIONS IN SCHEMA core FROM PUBLIC;
    EXECUTE format('GRANT USAGE ON SCHEMA api TO %I', app);
    EXECUTE format('GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA api TO %I', app);
END $$;
