import { sql, type Kysely } from 'kysely';
import type { DatabaseSchema } from '../store/schema';
import { FhirError } from '../fhir/fhir-error';
import { issue } from '../fhir/operation-outcome';
import type { Principal } from './principal';

/** The key of a client's storage total: the issuer and client id of its tokens. */
export function storageKey(principal: Principal): string {
  return `${principal.issuer}|${principal.clientId}`;
}

/**
 * What one client may store through the API (CLIENT_STORAGE_MAX_MB): every version it writes
 * is charged to its total (table client_storage) in the write's own transaction. A write that
 * would take the total past the cap is refused with 413, and its transaction, charge included,
 * rolls back. The library load and the command-line tools write without a token and are not
 * charged; neither is the server's own work (AuditEvents, workflow hooks)
 * (docs/decisions/client-storage-cap.md).
 */
export class ClientStorageCap {
  constructor(readonly maxBytes: number) {}

  get enabled(): boolean {
    return this.maxBytes > 0;
  }

  async charge(db: Kysely<DatabaseSchema>, principal: Principal, bytes: number): Promise<void> {
    if (!this.enabled) return;
    const key = storageKey(principal);
    const result = await sql<{ bytes: string }>`
      insert into client_storage (client, bytes) values (${key}, ${bytes})
      on conflict (client) do update set bytes = client_storage.bytes + excluded.bytes, updated_at = now()
      returning bytes`.execute(db);
    const total = Number(result.rows[0].bytes);
    if (total > this.maxBytes) {
      const mib = Math.round(this.maxBytes / (1024 * 1024));
      throw new FhirError(413, [
        issue('error', 'too-costly', `Client ${principal.clientId} has reached its storage limit (CLIENT_STORAGE_MAX_MB = ${mib}): this write of ${bytes} bytes would bring what it has stored to ${total} bytes`),
      ]);
    }
  }
}
