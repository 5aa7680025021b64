import type { CodeSystem, CodeSystemConcept, ParametersParameter } from 'fhir/r4';
import { FhirError } from '../fhir/fhir-error';
import { findConcept } from '../fhir/terminology/value-set-expander';
import { findCodeSystem } from '../services/terminology-service';
import type { Operation } from './operation';
import { parameterValues } from './operation';
import { at, codingsOf, part } from './terminology-parameters';

/**
 * `CodeSystem/$lookup` (R4 CodeSystem-lookup) on the code systems the server holds (ours,
 * stored ones, R4 core): name, version, display, designations and properties (all, or those
 * asked for; `parent` and `child` from the hierarchy). A system it does not hold (SNOMED CT,
 * CPT) or a code missing from a fragment answers an OperationOutcome saying so.
 */
export const lookupOperation: Operation = {
  name: 'lookup',
  resourceTypes: ['CodeSystem'],
  system: false,
  type: true,
  instance: true,
  definition: 'https://patient-education.dev/fhir/OperationDefinition/lookup',
  affectsState: false,
  documentation: 'Looks up a code (system+code or coding) in a code system the server holds: name, display, designation, property.',
  async execute(request) {
    const { codings, from } = codingsOf(request.parameters, request.id === undefined);
    if (from === 'codeableConcept') throw FhirError.badRequest('$lookup takes code+system or coding', at('codeableConcept'));
    const [coding] = codings;
    const { repository, search } = request.service;
    const codeSystem: CodeSystem | undefined =
      request.id !== undefined
        ? (JSON.parse((await request.service.read('CodeSystem', request.id)).content) as CodeSystem)
        : await findCodeSystem(repository, search, coding.system!);
    const system = coding.system ?? codeSystem?.url ?? '';
    if (!codeSystem) throw FhirError.notFound(`CodeSystem ${system} is not held by this server, so it cannot look up its codes`, at('system'));
    const concept = findConcept(codeSystem.concept ?? [], coding.code!);
    if (!concept) {
      const partial = codeSystem.content !== undefined && codeSystem.content !== 'complete';
      throw FhirError.notFound(
        codeSystem.content === 'not-present'
          ? `The codes of ${system} are not held by this server (it knows the code system only by name), so it cannot look up ${coding.code!}`
          : partial
            ? `The code ${coding.code!} is not among the codes this server holds of ${system} (it holds a ${codeSystem.content})`
            : `The code ${coding.code!} is not in ${system}`,
        at('code'),
      );
    }
    const wanted = parameterValues(request.parameters, 'property').filter((p): p is string => typeof p === 'string');
    const body = {
      resourceType: 'Parameters' as const,
      parameter: [
        part('name', { valueString: codeSystem.title ?? codeSystem.name ?? system }),
        ...(codeSystem.version !== undefined ? [part('version', { valueString: codeSystem.version })] : []),
        ...(concept.display !== undefined ? [part('display', { valueString: concept.display })] : []),
        ...(concept.designation ?? []).map((d) =>
          part('designation', {
            part: [
              ...(d.language !== undefined ? [part('language', { valueCode: d.language })] : []),
              ...(d.use !== undefined ? [part('use', { valueCoding: d.use })] : []),
              part('value', { valueString: d.value }),
            ],
          }),
        ),
        ...properties(codeSystem, concept, wanted),
      ],
    };
    return { status: 200, body };
  },
};

function properties(codeSystem: CodeSystem, concept: CodeSystemConcept, wanted: string[]): ParametersParameter[] {
  const asked = (code: string) => wanted.length === 0 || wanted.includes(code);
  const out: ParametersParameter[] = [];
  for (const p of concept.property ?? []) {
    if (!asked(p.code)) continue;
    const value = Object.entries(p).find(([k]) => k.startsWith('value'));
    if (value) out.push(part('property', { part: [part('code', { valueCode: p.code }), part('value', { [value[0]]: value[1] })] }));
  }
  if (asked('parent')) {
    const parent = parentOf(codeSystem.concept ?? [], concept.code);
    if (parent) out.push(part('property', { part: [part('code', { valueCode: 'parent' }), part('value', { valueCode: parent })] }));
  }
  if (asked('child')) {
    for (const child of concept.concept ?? []) out.push(part('property', { part: [part('code', { valueCode: 'child' }), part('value', { valueCode: child.code })] }));
  }
  return out;
}

function parentOf(concepts: CodeSystemConcept[], code: string, parent?: string): string | undefined {
  for (const c of concepts) {
    if (c.code === code) return parent;
    const found = parentOf(c.concept ?? [], code, c.code);
    if (found !== undefined) return found;
  }
  return undefined;
}
