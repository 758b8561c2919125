/**
 * Which migrations of a component a store still needs (both engines number migrations per component,
 * in a schema_migrations table; published migrations are never edited).
 */
export function pendingVersions(component: string, applied: number, steps: readonly string[]): number[] {
  if (applied > steps.length) {
    throw new Error(`the store was written by a newer Passerelle (${component} schema version ${applied}, this one knows ${steps.length})`);
  }
  return Array.from({ length: steps.length - applied }, (_, i) => applied + 1 + i);
}
