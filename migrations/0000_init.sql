CREATE TABLE "app_group_assignments" (
	"tenant_id" text NOT NULL,
	"integration_id" uuid NOT NULL,
	"first_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	"source_updated_at" timestamp with time zone NOT NULL,
	"last_run_id" uuid,
	"deleted_at" timestamp with time zone,
	"raw" jsonb,
	"app_id" text COLLATE "C" NOT NULL,
	"group_id" text COLLATE "C" NOT NULL,
	"priority" integer,
	CONSTRAINT "app_group_assignments_tenant_id_integration_id_app_id_group_id_pk" PRIMARY KEY("tenant_id","integration_id","app_id","group_id")
);
--> statement-breakpoint
CREATE TABLE "app_user_assignments" (
	"tenant_id" text NOT NULL,
	"integration_id" uuid NOT NULL,
	"first_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	"source_updated_at" timestamp with time zone NOT NULL,
	"last_run_id" uuid,
	"deleted_at" timestamp with time zone,
	"raw" jsonb,
	"app_id" text COLLATE "C" NOT NULL,
	"user_id" text COLLATE "C" NOT NULL,
	"scope" text,
	"status" text,
	CONSTRAINT "app_user_assignments_tenant_id_integration_id_app_id_user_id_pk" PRIMARY KEY("tenant_id","integration_id","app_id","user_id")
);
--> statement-breakpoint
CREATE TABLE "apps" (
	"tenant_id" text NOT NULL,
	"integration_id" uuid NOT NULL,
	"first_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	"source_updated_at" timestamp with time zone NOT NULL,
	"last_run_id" uuid,
	"deleted_at" timestamp with time zone,
	"raw" jsonb,
	"okta_id" text COLLATE "C" NOT NULL,
	"name" text NOT NULL,
	"label" text,
	"status" text NOT NULL,
	"sign_on_mode" text,
	"client_id" text,
	"is_service_app" boolean DEFAULT false NOT NULL,
	"created" timestamp with time zone,
	CONSTRAINT "apps_tenant_id_integration_id_okta_id_pk" PRIMARY KEY("tenant_id","integration_id","okta_id")
);
--> statement-breakpoint
CREATE TABLE "checkpoints" (
	"tenant_id" text NOT NULL,
	"integration_id" uuid NOT NULL,
	"resource" text NOT NULL,
	"scope_key" text DEFAULT '' NOT NULL,
	"run_id" uuid,
	"next_url" text,
	"done" boolean DEFAULT false NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "checkpoints_tenant_id_integration_id_resource_scope_key_pk" PRIMARY KEY("tenant_id","integration_id","resource","scope_key")
);
--> statement-breakpoint
CREATE TABLE "collection_runs" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" text NOT NULL,
	"integration_id" uuid NOT NULL,
	"mode" text NOT NULL,
	"trigger" text NOT NULL,
	"status" text DEFAULT 'running' NOT NULL,
	"started_at" timestamp with time zone DEFAULT now() NOT NULL,
	"ended_at" timestamp with time zone,
	"error" text,
	CONSTRAINT "collection_runs_mode_check" CHECK ("collection_runs"."mode" in ('full', 'incremental', 'refresh')),
	CONSTRAINT "collection_runs_trigger_check" CHECK ("collection_runs"."trigger" in ('schedule', 'collect-now', 'scan', 'stream')),
	CONSTRAINT "collection_runs_status_check" CHECK ("collection_runs"."status" in ('running', 'succeeded', 'failed', 'partial'))
);
--> statement-breakpoint
CREATE TABLE "factors" (
	"tenant_id" text NOT NULL,
	"integration_id" uuid NOT NULL,
	"first_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	"source_updated_at" timestamp with time zone NOT NULL,
	"last_run_id" uuid,
	"deleted_at" timestamp with time zone,
	"raw" jsonb,
	"okta_id" text COLLATE "C" NOT NULL,
	"user_id" text COLLATE "C" NOT NULL,
	"factor_type" text NOT NULL,
	"provider" text,
	"status" text NOT NULL,
	"created" timestamp with time zone,
	CONSTRAINT "factors_tenant_id_integration_id_okta_id_pk" PRIMARY KEY("tenant_id","integration_id","okta_id")
);
--> statement-breakpoint
CREATE TABLE "findings" (
	"tenant_id" text NOT NULL,
	"integration_id" uuid NOT NULL,
	"check_id" text NOT NULL,
	"subject" text COLLATE "C" NOT NULL,
	"severity" text NOT NULL,
	"details" jsonb,
	"first_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	"resolved_at" timestamp with time zone,
	CONSTRAINT "findings_tenant_id_integration_id_check_id_subject_pk" PRIMARY KEY("tenant_id","integration_id","check_id","subject")
);
--> statement-breakpoint
CREATE TABLE "group_memberships" (
	"tenant_id" text NOT NULL,
	"integration_id" uuid NOT NULL,
	"first_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	"source_updated_at" timestamp with time zone NOT NULL,
	"last_run_id" uuid,
	"deleted_at" timestamp with time zone,
	"raw" jsonb,
	"user_id" text COLLATE "C" NOT NULL,
	"group_id" text COLLATE "C" NOT NULL,
	CONSTRAINT "group_memberships_tenant_id_integration_id_user_id_group_id_pk" PRIMARY KEY("tenant_id","integration_id","user_id","group_id")
);
--> statement-breakpoint
CREATE TABLE "groups" (
	"tenant_id" text NOT NULL,
	"integration_id" uuid NOT NULL,
	"first_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	"source_updated_at" timestamp with time zone NOT NULL,
	"last_run_id" uuid,
	"deleted_at" timestamp with time zone,
	"raw" jsonb,
	"okta_id" text COLLATE "C" NOT NULL,
	"group_type" text NOT NULL,
	"name" text NOT NULL,
	"description" text,
	CONSTRAINT "groups_tenant_id_integration_id_okta_id_pk" PRIMARY KEY("tenant_id","integration_id","okta_id")
);
--> statement-breakpoint
CREATE TABLE "integrations" (
	"tenant_id" text NOT NULL,
	"id" uuid DEFAULT gen_random_uuid() NOT NULL,
	"name" text NOT NULL,
	"org_url" text NOT NULL,
	"auth_method" text NOT NULL,
	"client_id" text,
	"key_id" text,
	"secrets_enc" text NOT NULL,
	"allow_http" boolean DEFAULT false NOT NULL,
	"event_source" text,
	"schedule" jsonb,
	"last_connectivity" jsonb,
	"last_connectivity_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "integrations_tenant_id_id_pk" PRIMARY KEY("tenant_id","id"),
	CONSTRAINT "integrations_tenant_name_unique" UNIQUE("tenant_id","name"),
	CONSTRAINT "integrations_event_source_unique" UNIQUE("event_source"),
	CONSTRAINT "integrations_auth_method_check" CHECK ("integrations"."auth_method" in ('ssws', 'oauth'))
);
--> statement-breakpoint
CREATE TABLE "log_events" (
	"tenant_id" text NOT NULL,
	"integration_id" uuid NOT NULL,
	"uuid" text NOT NULL,
	"published" timestamp with time zone NOT NULL,
	"event_type" text NOT NULL,
	"severity" text,
	"actor_id" text,
	"outcome" text,
	"received_via" text NOT NULL,
	"stored_at" timestamp with time zone DEFAULT now() NOT NULL,
	"raw" jsonb,
	CONSTRAINT "log_events_tenant_id_integration_id_uuid_pk" PRIMARY KEY("tenant_id","integration_id","uuid"),
	CONSTRAINT "log_events_received_via_check" CHECK ("log_events"."received_via" in ('poll', 'stream', 'file'))
);
--> statement-breakpoint
CREATE TABLE "resource_sets" (
	"tenant_id" text NOT NULL,
	"integration_id" uuid NOT NULL,
	"first_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	"source_updated_at" timestamp with time zone NOT NULL,
	"last_run_id" uuid,
	"deleted_at" timestamp with time zone,
	"raw" jsonb,
	"okta_id" text COLLATE "C" NOT NULL,
	"label" text NOT NULL,
	"description" text,
	CONSTRAINT "resource_sets_tenant_id_integration_id_okta_id_pk" PRIMARY KEY("tenant_id","integration_id","okta_id")
);
--> statement-breakpoint
CREATE TABLE "role_assignments" (
	"tenant_id" text NOT NULL,
	"integration_id" uuid NOT NULL,
	"first_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	"source_updated_at" timestamp with time zone NOT NULL,
	"last_run_id" uuid,
	"deleted_at" timestamp with time zone,
	"raw" jsonb,
	"principal_kind" text COLLATE "C" NOT NULL,
	"principal_id" text COLLATE "C" NOT NULL,
	"role_id" text COLLATE "C" NOT NULL,
	"resource_set_id" text COLLATE "C" DEFAULT '' NOT NULL,
	"assignment_id" text,
	"status" text,
	CONSTRAINT "role_assignments_tenant_id_integration_id_principal_kind_principal_id_role_id_resource_set_id_pk" PRIMARY KEY("tenant_id","integration_id","principal_kind","principal_id","role_id","resource_set_id"),
	CONSTRAINT "role_assignments_principal_kind_check" CHECK ("role_assignments"."principal_kind" in ('user', 'group', 'app'))
);
--> statement-breakpoint
CREATE TABLE "roles" (
	"tenant_id" text NOT NULL,
	"integration_id" uuid NOT NULL,
	"first_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	"source_updated_at" timestamp with time zone NOT NULL,
	"last_run_id" uuid,
	"deleted_at" timestamp with time zone,
	"raw" jsonb,
	"okta_id" text COLLATE "C" NOT NULL,
	"label" text NOT NULL,
	"description" text,
	CONSTRAINT "roles_tenant_id_integration_id_okta_id_pk" PRIMARY KEY("tenant_id","integration_id","okta_id")
);
--> statement-breakpoint
CREATE TABLE "run_resources" (
	"run_id" uuid NOT NULL,
	"resource" text NOT NULL,
	"state" text DEFAULT 'pending' NOT NULL,
	"full" boolean DEFAULT false NOT NULL,
	"pages" integer DEFAULT 0 NOT NULL,
	"objects" integer DEFAULT 0 NOT NULL,
	"requests" integer DEFAULT 0 NOT NULL,
	"waited_429" integer DEFAULT 0 NOT NULL,
	"retries" integer DEFAULT 0 NOT NULL,
	"started_at" timestamp with time zone,
	"ended_at" timestamp with time zone,
	"error" text,
	CONSTRAINT "run_resources_run_id_resource_pk" PRIMARY KEY("run_id","resource"),
	CONSTRAINT "run_resources_state_check" CHECK ("run_resources"."state" in ('pending', 'running', 'done', 'failed'))
);
--> statement-breakpoint
CREATE TABLE "tenants" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "users" (
	"tenant_id" text NOT NULL,
	"integration_id" uuid NOT NULL,
	"first_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	"source_updated_at" timestamp with time zone NOT NULL,
	"last_run_id" uuid,
	"deleted_at" timestamp with time zone,
	"raw" jsonb,
	"okta_id" text COLLATE "C" NOT NULL,
	"status" text NOT NULL,
	"login" text,
	"email" text,
	"first_name" text,
	"last_name" text,
	"created" timestamp with time zone,
	"activated" timestamp with time zone,
	"status_changed" timestamp with time zone,
	"last_login" timestamp with time zone,
	"password_changed" timestamp with time zone,
	"credential_provider" text,
	CONSTRAINT "users_tenant_id_integration_id_okta_id_pk" PRIMARY KEY("tenant_id","integration_id","okta_id")
);
--> statement-breakpoint
ALTER TABLE "integrations" ADD CONSTRAINT "integrations_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "run_resources" ADD CONSTRAINT "run_resources_run_id_collection_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."collection_runs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "app_group_assignments_group_idx" ON "app_group_assignments" USING btree ("tenant_id","integration_id","group_id","app_id");--> statement-breakpoint
CREATE INDEX "app_user_assignments_user_idx" ON "app_user_assignments" USING btree ("tenant_id","integration_id","user_id","app_id");--> statement-breakpoint
CREATE INDEX "apps_client_id_idx" ON "apps" USING btree ("tenant_id","integration_id","client_id");--> statement-breakpoint
CREATE INDEX "collection_runs_integration_idx" ON "collection_runs" USING btree ("tenant_id","integration_id","started_at");--> statement-breakpoint
CREATE INDEX "factors_user_idx" ON "factors" USING btree ("tenant_id","integration_id","user_id","okta_id");--> statement-breakpoint
CREATE INDEX "findings_open_idx" ON "findings" USING btree ("tenant_id","integration_id","resolved_at");--> statement-breakpoint
CREATE INDEX "group_memberships_group_idx" ON "group_memberships" USING btree ("tenant_id","integration_id","group_id","user_id");--> statement-breakpoint
CREATE INDEX "log_events_published_idx" ON "log_events" USING btree ("tenant_id","integration_id","published");--> statement-breakpoint
CREATE INDEX "log_events_type_idx" ON "log_events" USING btree ("tenant_id","integration_id","event_type","published");--> statement-breakpoint
CREATE INDEX "role_assignments_role_idx" ON "role_assignments" USING btree ("tenant_id","integration_id","role_id");--> statement-breakpoint
CREATE INDEX "users_status_idx" ON "users" USING btree ("tenant_id","integration_id","status");--> statement-breakpoint
CREATE INDEX "users_login_idx" ON "users" USING btree ("tenant_id","integration_id","login");