ALTER TABLE "log_events" ADD COLUMN "subject_ids" text[];--> statement-breakpoint
-- Events stored before this column: their subjects read from the stored JSON, as
-- normalize's eventSubjectIds does (the actor and User targets; a missing type counts as a user).
-- The one escape PostgreSQL's JSON parser refuses (\u0000, which Okta's text may carry) is read
-- as U+FFFD: ids never hold it, and one such event must not stop the migration.
UPDATE "log_events" e SET "subject_ids" = s.ids
FROM (
  SELECT l.tenant_id, l.integration_id, l.uuid, (
    SELECT array_agg(x.id ORDER BY x.pos) FROM (
      SELECT DISTINCT ON (y.id) y.id, y.pos FROM (
        SELECT j.doc->'actor'->>'id' AS id, coalesce(j.doc->'actor'->>'type', 'User') AS type, 0::bigint AS pos
        UNION ALL
        SELECT t.value->>'id', coalesce(t.value->>'type', 'User'), t.ordinality
        FROM json_array_elements(CASE WHEN json_typeof(j.doc->'target') = 'array' THEN j.doc->'target' ELSE '[]'::json END) WITH ORDINALITY t
      ) y WHERE y.type = 'User' AND y.id IS NOT NULL AND y.id <> ''
      ORDER BY y.id, y.pos
    ) x
  ) AS ids
  FROM log_events l CROSS JOIN LATERAL (SELECT replace(l.raw, '\u0000', '\ufffd')::json AS doc) j
  WHERE l.raw IS NOT NULL
) s
WHERE e.tenant_id = s.tenant_id AND e.integration_id = s.integration_id AND e.uuid = s.uuid AND s.ids IS NOT NULL;--> statement-breakpoint
CREATE INDEX "log_events_subject_ids_gin" ON "log_events" USING gin ("subject_ids");
