ALTER TABLE "checkpoints" ADD COLUMN "watermark" timestamp with time zone;--> statement-breakpoint
-- Watermarks were kept as ISO times in next_url: move them to their own column.
UPDATE "checkpoints" SET "watermark" = "next_url"::timestamptz, "next_url" = NULL
WHERE "scope_key" = 'watermark' AND "next_url" ~ '^\d{4}-\d{2}-\d{2}T';
