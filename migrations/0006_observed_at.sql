ALTER TABLE "app_group_assignments" ADD COLUMN "observed_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "app_user_assignments" ADD COLUMN "observed_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "apps" ADD COLUMN "observed_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "factors" ADD COLUMN "observed_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "group_memberships" ADD COLUMN "observed_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "groups" ADD COLUMN "observed_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "resource_sets" ADD COLUMN "observed_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "role_assignments" ADD COLUMN "observed_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "roles" ADD COLUMN "observed_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "users" ADD COLUMN "observed_at" timestamp with time zone;