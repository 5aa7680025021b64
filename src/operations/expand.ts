import type { ValueSet, ValueSetExpansionContains } from 'fhir/r4';
import { randomUUID } from 'node:crypto';
import type { Operation } from './operation';
import { expandForOperation, integerParameter, openSystemsError, stringParameter, valueSetOf } from './terminology-parameters';

/**
 * `ValueSet/$expand` (R4 ValueSet-expand) over stored value sets whose content the server holds
 * and the R4 core ones: `filter` (case-insensitive, on code and display), `offset`, `count`, and
 * `expansion.total` (the matches before paging). A value set with a whole system the server does
 * not hold (all of SNOMED CT) answers an OperationOutcome instead of a partial list.
 */
export const expandOperation: Operation = {
  name: 'expand',
  resourceTypes: ['ValueSet'],
  system: false,
  type: true,
  instance: true,
  definition: 'https://patient-education.dev/fhir/OperationDefinition/expand',
  affectsState: false,
  documentation: 'Expands a value set (url, valueSet or instance) with filter, offset and count; expansion.total counts the matches.',
  async execute(request) {
    const { parameters } = request;
    const filter = stringParameter(parameters, 'filter')?.toLowerCase();
    const offset = integerParameter(parameters, 'offset') ?? 0;
    const count = integerParameter(parameters, 'count');
    const valueSet = await valueSetOf(request);
    const expansion = await expandForOperation(request, valueSet);
    if (expansion.openSystems.length > 0) throw openSystemsError(valueSet, expansion.openSystems);
    const matches = expansion.concepts.filter(
      (c) => filter === undefined || c.code.toLowerCase().includes(filter) || (c.display ?? '').toLowerCase().includes(filter),
    );
    const page = matches.slice(offset, count === undefined ? undefined : offset + count);
    const contains: ValueSetExpansionContains[] = page.map((c) => ({ system: c.system, code: c.code, ...(c.display !== undefined ? { display: c.display } : {}) }));
    const body: ValueSet = {
      resourceType: 'ValueSet',
      ...(valueSet.id !== undefined ? { id: valueSet.id } : {}),
      ...(valueSet.url !== undefined ? { url: valueSet.url } : {}),
      ...(valueSet.version !== undefined ? { version: valueSet.version } : {}),
      ...(valueSet.name !== undefined ? { name: valueSet.name } : {}),
      ...(valueSet.title !== undefined ? { title: valueSet.title } : {}),
      status: valueSet.status,
      expansion: {
        identifier: `urn:uuid:${randomUUID()}`,
        timestamp: new Date().toISOString(),
        total: matches.length,
        offset,
        parameter: [
          ...(filter !== undefined ? [{ name: 'filter', valueString: filter }] : []),
          { name: 'offset', valueInteger: offset },
          ...(count !== undefined ? [{ name: 'count', valueInteger: count }] : []),
        ],
        ...(contains.length > 0 ? { contains } : {}),
      },
    };
    return { status: 200, body };
  },
};
