/** The CLI's printer: command output goes to stdout, human notes to stderr; logs are pino (stderr). */
export const out = {
  line(text = ''): void {
    process.stdout.write(text + '\n');
  },
  json(value: unknown): void {
    process.stdout.write(JSON.stringify(value, null, 2) + '\n');
  },
  note(text: string): void {
    process.stderr.write(text + '\n');
  },
};

/** A plain aligned text table. */
export function table(headers: string[], rows: (string | number | null | undefined)[][]): string {
  const cells = [headers, ...rows.map((r) => r.map((c) => (c === null || c === undefined ? '' : String(c))))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  return cells
    .map((r, ri) => {
      const line = r.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
      return ri === 0 ? `${line}\n${widths.map((w) => '-'.repeat(w)).join('  ')}` : line;
    })
    .join('\n');
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  return `${m} min ${Math.round(s - m * 60)} s`;
}
