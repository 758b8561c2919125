/** An audit entry as the API shows it (interface contract, section 6): its fields plus the stored leaf hash. */
import type { StoredAuditEntry } from '../store/port.js';

export function auditEntryAnswer(row: StoredAuditEntry): Record<string, unknown> {
  let fields: unknown;
  try {
    fields = JSON.parse(row.entry);
  } catch {
    // A stored entry that is no longer JSON was altered; the auditor's check will name it by its leaf hash.
    fields = undefined;
  }
  const entry = typeof fields === 'object' && fields !== null && !Array.isArray(fields) ? fields : { index: row.index };
  return { ...entry, leafHash: row.leafHash };
}
