CREATE TABLE "scim_members" (
	"tenant_id" text NOT NULL,
	"integration_id" uuid NOT NULL,
	"group_id" text COLLATE "C" NOT NULL,
	"user_id" text COLLATE "C" NOT NULL,
	CONSTRAINT "scim_members_tenant_id_integration_id_group_id_user_id_pk" PRIMARY KEY("tenant_id","integration_id","group_id","user_id")
);
--> statement-breakpoint
CREATE TABLE "scim_resources" (
	"tenant_id" text NOT NULL,
	"integration_id" uuid NOT NULL,
	"id" text COLLATE "C" NOT NULL,
	"resource_type" text NOT NULL,
	"external_id" text,
	"user_name" text,
	"display_name" text,
	"active" boolean,
	"graph_id" text COLLATE "C" NOT NULL,
	"resource" jsonb NOT NULL,
	"seq" bigserial NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "scim_resources_tenant_id_integration_id_id_pk" PRIMARY KEY("tenant_id","integration_id","id"),
	CONSTRAINT "scim_resources_graph_unique" UNIQUE("tenant_id","integration_id","resource_type","graph_id"),
	CONSTRAINT "scim_resources_type_check" CHECK ("scim_resources"."resource_type" in ('User', 'Group'))
);
--> statement-breakpoint
CREATE TABLE "scim_tokens" (
	"tenant_id" text NOT NULL,
	"integration_id" uuid NOT NULL,
	"token_id" text NOT NULL,
	"token_hash" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "scim_tokens_tenant_id_integration_id_pk" PRIMARY KEY("tenant_id","integration_id"),
	CONSTRAINT "scim_tokens_token_id_unique" UNIQUE("token_id")
);
--> statement-breakpoint
ALTER TABLE "group_memberships" ADD COLUMN "via_scim" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "groups" ADD COLUMN "via_scim" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "users" ADD COLUMN "via_scim" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "scim_members" ADD CONSTRAINT "scim_members_group_fk" FOREIGN KEY ("tenant_id","integration_id","group_id") REFERENCES "public"."scim_resources"("tenant_id","integration_id","id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "scim_members" ADD CONSTRAINT "scim_members_user_fk" FOREIGN KEY ("tenant_id","integration_id","user_id") REFERENCES "public"."scim_resources"("tenant_id","integration_id","id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "scim_resources" ADD CONSTRAINT "scim_resources_integration_fk" FOREIGN KEY ("tenant_id","integration_id") REFERENCES "public"."integrations"("tenant_id","id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "scim_tokens" ADD CONSTRAINT "scim_tokens_integration_fk" FOREIGN KEY ("tenant_id","integration_id") REFERENCES "public"."integrations"("tenant_id","id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "scim_members_user_idx" ON "scim_members" USING btree ("tenant_id","integration_id","user_id");--> statement-breakpoint
CREATE UNIQUE INDEX "scim_resources_user_name_unique" ON "scim_resources" USING btree ("tenant_id","integration_id",lower("user_name")) WHERE "scim_resources"."resource_type" = 'User';--> statement-breakpoint
CREATE INDEX "scim_resources_list_idx" ON "scim_resources" USING btree ("tenant_id","integration_id","resource_type","seq");