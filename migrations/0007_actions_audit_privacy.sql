CREATE TABLE "action_audit" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" text NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	"requested_by" text NOT NULL,
	"integration_id" uuid,
	"integration_name" text NOT NULL,
	"action" text NOT NULL,
	"subject" text NOT NULL,
	"target" text,
	"resource_set" text,
	"applied" boolean NOT NULL,
	"outcome" text NOT NULL,
	"requests" jsonb NOT NULL,
	"response" jsonb,
	"message" text,
	CONSTRAINT "action_audit_outcome_check" CHECK ("action_audit"."outcome" in ('dry-run', 'applied', 'refused', 'failed'))
);
--> statement-breakpoint
CREATE TABLE "privacy_erasures" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" text NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	"requested_by" text NOT NULL,
	"address_hash" text NOT NULL,
	"salt" text NOT NULL,
	"counts" jsonb NOT NULL,
	"in_okta" jsonb
);
--> statement-breakpoint
ALTER TABLE "collection_runs" DROP CONSTRAINT "collection_runs_trigger_check";--> statement-breakpoint
ALTER TABLE "integrations" ADD COLUMN "allow_actions" boolean DEFAULT false NOT NULL;--> statement-breakpoint
CREATE INDEX "action_audit_tenant_at_idx" ON "action_audit" USING btree ("tenant_id","at");--> statement-breakpoint
CREATE INDEX "privacy_erasures_tenant_at_idx" ON "privacy_erasures" USING btree ("tenant_id","at");--> statement-breakpoint
ALTER TABLE "collection_runs" ADD CONSTRAINT "collection_runs_trigger_check" CHECK ("collection_runs"."trigger" in ('schedule', 'collect-now', 'scan', 'stream', 'action'));--> statement-breakpoint
-- The action audit is append-only: a trigger (drizzle-kit cannot generate one) rejects every
-- UPDATE, DELETE and TRUNCATE, whoever sends it.
CREATE FUNCTION "action_audit_append_only"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'action_audit is append-only: % is not allowed', TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$;--> statement-breakpoint
CREATE TRIGGER "action_audit_no_update_delete" BEFORE UPDATE OR DELETE ON "action_audit" FOR EACH ROW EXECUTE FUNCTION "action_audit_append_only"();--> statement-breakpoint
CREATE TRIGGER "action_audit_no_truncate" BEFORE TRUNCATE ON "action_audit" FOR EACH STATEMENT EXECUTE FUNCTION "action_audit_append_only"();
