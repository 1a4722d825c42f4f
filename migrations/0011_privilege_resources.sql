CREATE TABLE "api_tokens" (
	"tenant_id" text NOT NULL,
	"integration_id" uuid NOT NULL,
	"first_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	"source_updated_at" timestamp with time zone NOT NULL,
	"observed_at" timestamp with time zone,
	"last_run_id" uuid,
	"deleted_at" timestamp with time zone,
	"raw" jsonb,
	"okta_id" text COLLATE "C" NOT NULL,
	"name" text NOT NULL,
	"user_id" text COLLATE "C" NOT NULL,
	"client_name" text,
	"created" timestamp with time zone,
	"expires_at" timestamp with time zone,
	"token_window" text,
	CONSTRAINT "api_tokens_tenant_id_integration_id_okta_id_pk" PRIMARY KEY("tenant_id","integration_id","okta_id")
);
--> statement-breakpoint
CREATE TABLE "app_credentials" (
	"tenant_id" text NOT NULL,
	"integration_id" uuid NOT NULL,
	"first_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	"source_updated_at" timestamp with time zone NOT NULL,
	"observed_at" timestamp with time zone,
	"last_run_id" uuid,
	"deleted_at" timestamp with time zone,
	"raw" jsonb,
	"app_id" text COLLATE "C" NOT NULL,
	"credential_id" text COLLATE "C" NOT NULL,
	"credential_type" text NOT NULL,
	"status" text NOT NULL,
	"created" timestamp with time zone,
	CONSTRAINT "app_credentials_tenant_id_integration_id_app_id_credential_id_pk" PRIMARY KEY("tenant_id","integration_id","app_id","credential_id")
);
--> statement-breakpoint
CREATE TABLE "group_rule_targets" (
	"tenant_id" text NOT NULL,
	"integration_id" uuid NOT NULL,
	"first_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	"source_updated_at" timestamp with time zone NOT NULL,
	"observed_at" timestamp with time zone,
	"last_run_id" uuid,
	"deleted_at" timestamp with time zone,
	"raw" jsonb,
	"rule_id" text COLLATE "C" NOT NULL,
	"group_id" text COLLATE "C" NOT NULL,
	CONSTRAINT "group_rule_targets_tenant_id_integration_id_rule_id_group_id_pk" PRIMARY KEY("tenant_id","integration_id","rule_id","group_id")
);
--> statement-breakpoint
CREATE TABLE "group_rules" (
	"tenant_id" text NOT NULL,
	"integration_id" uuid NOT NULL,
	"first_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	"source_updated_at" timestamp with time zone NOT NULL,
	"observed_at" timestamp with time zone,
	"last_run_id" uuid,
	"deleted_at" timestamp with time zone,
	"raw" jsonb,
	"okta_id" text COLLATE "C" NOT NULL,
	"name" text NOT NULL,
	"status" text NOT NULL,
	"expression" text,
	CONSTRAINT "group_rules_tenant_id_integration_id_okta_id_pk" PRIMARY KEY("tenant_id","integration_id","okta_id")
);
--> statement-breakpoint
CREATE TABLE "resource_set_resources" (
	"tenant_id" text NOT NULL,
	"integration_id" uuid NOT NULL,
	"first_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	"source_updated_at" timestamp with time zone NOT NULL,
	"observed_at" timestamp with time zone,
	"last_run_id" uuid,
	"deleted_at" timestamp with time zone,
	"raw" jsonb,
	"resource_set_id" text COLLATE "C" NOT NULL,
	"resource_id" text COLLATE "C" NOT NULL,
	"orn" text NOT NULL,
	"target_kind" text NOT NULL,
	"target_id" text COLLATE "C",
	CONSTRAINT "resource_set_resources_tenant_id_integration_id_resource_set_id_resource_id_pk" PRIMARY KEY("tenant_id","integration_id","resource_set_id","resource_id")
);
--> statement-breakpoint
CREATE TABLE "role_permissions" (
	"tenant_id" text NOT NULL,
	"integration_id" uuid NOT NULL,
	"first_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	"source_updated_at" timestamp with time zone NOT NULL,
	"observed_at" timestamp with time zone,
	"last_run_id" uuid,
	"deleted_at" timestamp with time zone,
	"raw" jsonb,
	"role_id" text COLLATE "C" NOT NULL,
	"permission" text COLLATE "C" NOT NULL,
	CONSTRAINT "role_permissions_tenant_id_integration_id_role_id_permission_pk" PRIMARY KEY("tenant_id","integration_id","role_id","permission")
);
--> statement-breakpoint
CREATE TABLE "role_targets" (
	"tenant_id" text NOT NULL,
	"integration_id" uuid NOT NULL,
	"first_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	"source_updated_at" timestamp with time zone NOT NULL,
	"observed_at" timestamp with time zone,
	"last_run_id" uuid,
	"deleted_at" timestamp with time zone,
	"raw" jsonb,
	"principal_kind" text COLLATE "C" NOT NULL,
	"principal_id" text COLLATE "C" NOT NULL,
	"role_id" text COLLATE "C" NOT NULL,
	"target_kind" text COLLATE "C" NOT NULL,
	"target_id" text COLLATE "C" NOT NULL,
	CONSTRAINT "role_targets_tenant_id_integration_id_principal_kind_principal_id_target_kind_target_id_role_id_pk" PRIMARY KEY("tenant_id","integration_id","principal_kind","principal_id","target_kind","target_id","role_id"),
	CONSTRAINT "role_targets_target_kind_check" CHECK ("role_targets"."target_kind" in ('group', 'app', 'catalog_app'))
);
--> statement-breakpoint
CREATE INDEX "app_credentials_id_idx" ON "app_credentials" USING btree ("tenant_id","integration_id","credential_id");