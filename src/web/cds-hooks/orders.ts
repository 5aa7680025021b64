import type { CodeableConcept, Coding, FhirResource } from 'fhir/r4';
import { isReferenceMoment, orderDate } from '../../workflows/action-timing';
import type { HookRequest } from './hook-request';
import { ID_PATTERN } from '../../fhir/resource-types';

/** An order of the hook's draftOrders Bundle (ServiceRequest, MedicationRequest, DeviceRequest, ...). */
export type Order = FhirResource;

/** Codings read from one order: enough for any real order, few enough to bound the search. */
const MAX_CODINGS = 20;

/**
 * The orders the hook asks about: for order-select those named in `selections` (the newly
 * selected ones; the other draft orders are context only), for order-sign every draft order.
 */
export function ordersInScope(request: HookRequest): Order[] {
  if (request.selections === undefined) return request.draftOrders;
  return request.draftOrders.filter((order) => {
    if (order.id === undefined) return false;
    const id = `${order.resourceType}/${order.id}`;
    return request.selections!.some((s) => s === id || s.endsWith(`/${id}`));
  });
}

/** What the order asks for, as codings with a system and a code. */
export function orderCodings(order: Order): Coding[] {
  const concept: unknown =
    order.resourceType === 'ServiceRequest'
      ? order.code
      : order.resourceType === 'MedicationRequest'
        ? order.medicationCodeableConcept
        : order.resourceType === 'DeviceRequest'
          ? order.codeCodeableConcept
          : undefined;
  const codings = (concept as CodeableConcept | undefined)?.coding;
  if (!Array.isArray(codings)) return [];
  const seen = new Set<string>();
  const out: Coding[] = [];
  for (const coding of codings as unknown[]) {
    const { system, code } = (coding ?? {}) as { system?: unknown; code?: unknown };
    if (typeof system !== 'string' || typeof code !== 'string' || system === '' || code === '') continue;
    const key = `${system}|${code}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ system, code });
    if (out.length === MAX_CODINGS) break;
  }
  return out;
}

/** Day 0 of the plan for this order: its occurrence[x] when it is a full date or a dateTime with a zone. */
export function orderDayZero(order: Order): string | undefined {
  if (order.resourceType !== 'ServiceRequest') return undefined;
  const date: unknown = orderDate(order);
  return typeof date === 'string' && isReferenceMoment(date) ? date : undefined;
}

/** `ServiceRequest/abc` for an order with a well-formed id, as the suggested resources reference it. */
export function orderReference(order: Order): string | undefined {
  const id: unknown = order.id;
  return typeof id === 'string' && ID_PATTERN.test(id) && /^[A-Z][A-Za-z]{1,63}$/.test(order.resourceType) ? `${order.resourceType}/${id}` : undefined;
}
