ALTER TABLE "run_resources" DROP CONSTRAINT "run_resources_state_check";--> statement-breakpoint
ALTER TABLE "integrations" ADD COLUMN "scopes" text[];--> statement-breakpoint
ALTER TABLE "run_resources" ADD CONSTRAINT "run_resources_state_check" CHECK ("run_resources"."state" in ('pending', 'running', 'done', 'failed', 'skipped'));