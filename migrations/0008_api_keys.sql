CREATE TABLE "api_keys" (
	"tenant_id" text NOT NULL,
	"name" text NOT NULL,
	"key_id" text NOT NULL,
	"key_hash" text NOT NULL,
	"role" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "api_keys_tenant_id_name_pk" PRIMARY KEY("tenant_id","name"),
	CONSTRAINT "api_keys_key_id_unique" UNIQUE("key_id"),
	CONSTRAINT "api_keys_role_check" CHECK ("api_keys"."role" in ('read', 'admin'))
);
--> statement-breakpoint
CREATE INDEX "findings_subject_idx" ON "findings" USING btree ("tenant_id","integration_id","subject");