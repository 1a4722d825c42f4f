ALTER TABLE "log_events" ALTER COLUMN "raw" SET DATA TYPE json USING "raw"::json;--> statement-breakpoint
-- Hand-added: events are ~1-3 KB, so most rows are TOAST-compressed; lz4 costs a fraction of the
-- default pglz. Servers built without lz4 (and PGlite) keep their default.
DO $$ BEGIN
  ALTER TABLE "log_events" ALTER COLUMN "raw" SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported OR invalid_parameter_value THEN NULL;
END $$;
