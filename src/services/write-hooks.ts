import type { OperationOutcomeIssue, Resource } from 'fhir/r4';
import type { ResourceService } from './resource-service';

export type Interaction = 'create' | 'update' | 'delete';

export interface WriteEvent {
  interaction: Interaction;
  resource: Resource;
  previous: Resource | undefined;
}

/**
 * Behaviour attached to writes of some resource types (e.g. the questionnaire workflow).
 * Both run inside the write's transaction, with a service bound to it.
 */
export interface WriteHook {
  /** Checks that need other stored resources; issues with severity error reject the write. */
  validate?(resource: Resource, service: ResourceService): Promise<OperationOutcomeIssue[]>;
  /** Runs after the resource is stored, before the transaction commits. */
  afterWrite?(event: WriteEvent, service: ResourceService): Promise<void>;
}
