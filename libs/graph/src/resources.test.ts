import { getTableColumns } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { compareExportLines } from './export-format.js';
import { EXPORT_SEGMENTS } from './export-graph.js';
import { isCustomSegment } from './resource-spec.js';
import { GRAPH_RESOURCE_SPECS, GRAPH_RESOURCES, resourceSpec, users } from './resources.js';
import * as schema from './schema.js';

describe('graph resource declarations', () => {
  it("derive a resource's key, columns, types and placeholders from its table", () => {
    expect(users.keys.map((k) => k.name)).toEqual(['okta_id']);
    expect(users.data.map((c) => c.name)).toEqual([
      'status', 'login', 'email', 'first_name', 'last_name', 'created', 'activated', 'status_changed',
      'last_login', 'password_changed', 'credential_provider', 'raw',
    ]);
    expect(users.data.find((c) => c.name === 'status')).toMatchObject({ field: 'status', type: 'text', required: true, placeholder: 'UNKNOWN' });
    expect(users.data.find((c) => c.name === 'last_login')).toMatchObject({ field: 'lastLogin', type: 'timestamptz', required: false });
    const roleAssignments = resourceSpec('role_assignments')!;
    expect(roleAssignments.keys.map((k) => [k.name, k.mayBeEmpty])).toEqual([
      ['principal_kind', false], ['principal_id', false], ['role_id', false], ['resource_set_id', true],
    ]);
    // Edges Okta lists without an object of their own keep no raw.
    expect(resourceSpec('group_members')!.data).toEqual([]);
  });

  it("write every column of each table that is not the store's own bookkeeping", () => {
    const bookkeeping = new Set<string>(schema.GRAPH_COLUMN_FIELDS);
    for (const spec of GRAPH_RESOURCE_SPECS) {
      const own = Object.keys(getTableColumns(spec.table)).filter((f) => !bookkeeping.has(f));
      expect([...spec.keys, ...spec.data].map((c) => c.field).filter((f) => f !== 'raw').sort(), spec.name).toEqual(own.sort());
    }
    expect(GRAPH_RESOURCES).toContain('system_log');
    expect(new Set(GRAPH_RESOURCE_SPECS.map((s) => s.rows)).size).toBe(GRAPH_RESOURCE_SPECS.length);
  });

  it('order the export segments as their lines sort, so the streamed export is sorted', () => {
    // One line per table segment from a row whose fields all hold the same id: the segments'
    // declared places must agree with sortExportLines.
    const lines = EXPORT_SEGMENTS.filter((s) => !isCustomSegment(s)).map((seg) => {
      if (isCustomSegment(seg)) throw new Error('unreachable');
      const row = Object.fromEntries([...seg.sortBy, ...seg.fields].map((f) => [f.field, f.field === 'principalKind' ? 'user' : 'x']));
      const line = seg.line(row);
      expect([line.type, line.kind], JSON.stringify(seg.order)).toEqual(seg.order.slice(0, 2));
      return line;
    });
    expect([...lines].sort(compareExportLines)).toEqual(lines);
  });
});
