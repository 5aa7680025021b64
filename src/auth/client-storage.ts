import type { Repository } from '../store/repository';
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

  /** Charges the write's bytes in the write's transaction (the repository's connection). */
  async charge(repository: Repository, principal: Principal, bytes: number): Promise<void> {
    if (!this.enabled) return;
    const total = await repository.addToClientStorage(storageKey(principal), bytes);
    if (total > this.maxBytes) {
      const mib = Math.round(this.maxBytes / (1024 * 1024));
      throw new FhirError(413, [
        issue('error', 'too-costly', `Client ${principal.clientId} has reached its storage limit (CLIENT_STORAGE_MAX_MB = ${mib}): this write of ${bytes} bytes would bring what it has stored to ${total} bytes`),
      ]);
    }
  }
}
