// The AWS SDK warns on every start that future releases need Node 22; it is noise for CLI users.
const emitWarning = process.emitWarning.bind(process);
process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
  const name = typeof warning === 'string' ? (rest[0] as { type?: string } | string | undefined) : warning.name;
  const type = typeof name === 'string' ? name : name?.type;
  if (type === 'NodeVersionSupportWarning' || (warning instanceof Error && warning.name === 'NodeVersionSupportWarning')) return;
  (emitWarning as (...a: unknown[]) => void)(warning, ...rest);
}) as typeof process.emitWarning;

export {};
