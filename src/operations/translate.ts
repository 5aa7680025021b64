import type { Coding, ConceptMap, ConceptMapGroupElementTarget, Parameters, ParametersParameter } from 'fhir/r4';
import { FhirError } from '../fhir/fhir-error';
import { isMatch } from '../fhir/terminology/concept-map';
import { canonicalUrl } from '../fhir/terminology/value-set-expander';
import type { LibraryAnswerCache } from '../services/library-answer-cache';
import { findByUrl } from '../services/terminology-service';
import type { Operation, OperationRequest, OperationResult } from './operation';
import { parameterValue } from './operation';
import { at, booleanParameter, codingsOf, part, stringParameter } from './terminology-parameters';

/** ConceptMaps consulted at most for one translation without a url. */
const MAX_MAPS = 50;

/** Parameters of the longest type-level request whose answer is kept (longer ones are computed each time). */
const MAX_KEY_LENGTH = 4096;

/**
 * `ConceptMap/$translate` (R4 ConceptMap-translate) through the stored ConceptMaps (the library's
 * and any a site has posted): the instance, the map named by `url` (or given as `conceptMap`), or
 * every map with the code, optionally narrowed by `source`, `target` and `targetsystem`;
 * `reverse` translates target codes back to their sources. With `answers`, type-level answers
 * (not those with an inline `conceptMap`) are kept per parameter list until the library changes
 * (services/library-answer-cache.ts); an answer does not depend on the caller.
 */
export function createTranslateOperation(answers: LibraryAnswerCache<OperationResult> | undefined): Operation {
  return {
    name: 'translate',
    resourceTypes: ['ConceptMap'],
    system: false,
    type: true,
    instance: true,
    definition: 'https://patient-education.dev/fhir/OperationDefinition/translate',
    affectsState: false,
    documentation: 'Translates a code (code+system, coding or codeableConcept) through the stored ConceptMaps; reverse translates back.',
    execute(request) {
      if (answers === undefined || request.id !== undefined || parameterValue(request.parameters, 'conceptMap') !== undefined) return translate(request);
      const key = JSON.stringify(request.parameters.parameter ?? []);
      return key.length > MAX_KEY_LENGTH ? translate(request) : answers.get(key, () => translate(request));
    },
  };
}

/** $translate without kept answers. */
export const translateOperation: Operation = createTranslateOperation(undefined);

async function translate(request: OperationRequest): Promise<OperationResult> {
  const { parameters } = request;
  const { codings } = codingsOf(parameters, false);
  const reverse = booleanParameter(parameters, 'reverse') ?? false;
  const source = stringParameter(parameters, 'source');
  const target = stringParameter(parameters, 'target');
  const targetSystem = stringParameter(parameters, 'targetsystem');
  const matches: ParametersParameter[] = [];
  let matched = false;
  let consulted = 0;
  for (const coding of codings) {
    const maps = (await conceptMaps(request, coding.code!, reverse)).filter(
      (m) => (source === undefined || mapsFrom(m, reverse) === canonicalUrl(source)) && (target === undefined || mapsFrom(m, !reverse) === canonicalUrl(target)),
    );
    consulted += maps.length;
    for (const map of maps) {
      for (const found of translations(map, coding, reverse, targetSystem)) {
        matched ||= isMatch(found.target);
        matches.push(
          part('match', {
            part: [
              part('equivalence', { valueCode: found.target.equivalence }),
              ...(found.concept !== undefined ? [part('concept', { valueCoding: found.concept })] : []),
              ...(map.url !== undefined ? [part('source', { valueUri: map.url })] : []),
            ],
          }),
        );
      }
    }
  }
  const described = codings.map((c) => `${c.system ?? ''}|${c.code ?? ''}`).join(', ');
  const message = matched
    ? undefined
    : consulted === 0
      ? `No ConceptMap on this server maps ${described}`
      : `No match for ${described} in ${consulted} ConceptMap${consulted === 1 ? '' : 's'}`;
  const body: Parameters = {
    resourceType: 'Parameters',
    parameter: [part('result', { valueBoolean: matched }), ...(message !== undefined ? [part('message', { valueString: message })] : []), ...matches],
  };
  return { status: 200, body };
}

/** The value set a map translates from (or, with `to`, into). */
function mapsFrom(map: ConceptMap, to: boolean): string | undefined {
  const value = to ? (map.targetUri ?? map.targetCanonical) : (map.sourceUri ?? map.sourceCanonical);
  return value === undefined ? undefined : canonicalUrl(value);
}

async function conceptMaps(request: OperationRequest, code: string, reverse: boolean): Promise<ConceptMap[]> {
  const { service, parameters } = request;
  if (request.id !== undefined) return [JSON.parse((await service.read('ConceptMap', request.id)).content) as ConceptMap];
  const inline = parameterValue(parameters, 'conceptMap');
  if (inline !== undefined) {
    if (typeof inline !== 'object' || inline === null || (inline as { resourceType?: unknown }).resourceType !== 'ConceptMap') {
      throw FhirError.badRequest('conceptMap must be a ConceptMap resource', at('conceptMap'));
    }
    return [inline as ConceptMap];
  }
  const url = stringParameter(parameters, 'url');
  if (url !== undefined) {
    const map = await findByUrl<ConceptMap>(service.repository, service.search, 'ConceptMap', url);
    if (!map) throw FhirError.notFound(`ConceptMap ${url} is not known to this server`, at('url'));
    return [map];
  }
  const { request: search } = service.search.parse(['ConceptMap'], [[reverse ? 'target-code' : 'source-code', code]], true);
  // ConceptMaps are definitions, looked up with the server's authority like findByUrl's.
  const rows = await service.repository.system().searchPage({ resourceTypes: ['ConceptMap'], filters: search.filters, sort: [], limit: MAX_MAPS });
  return rows.map((r) => JSON.parse(r.content) as ConceptMap);
}

interface Translation {
  target: ConceptMapGroupElementTarget;
  concept: Coding | undefined;
}

function translations(map: ConceptMap, coding: Coding, reverse: boolean, targetSystem: string | undefined): Translation[] {
  const out: Translation[] = [];
  for (const group of map.group ?? []) {
    const [from, to] = reverse ? [group.target, group.source] : [group.source, group.target];
    if (coding.system !== undefined && from !== coding.system) continue;
    if (targetSystem !== undefined && to !== targetSystem) continue;
    for (const element of group.element ?? []) {
      for (const target of element.target ?? []) {
        if (!reverse && element.code === coding.code) {
          const concept = target.code !== undefined ? { ...(to !== undefined ? { system: to } : {}), code: target.code, ...(target.display !== undefined ? { display: target.display } : {}) } : undefined;
          out.push({ target, concept });
        } else if (reverse && target.code === coding.code && element.code !== undefined) {
          out.push({ target, concept: { ...(to !== undefined ? { system: to } : {}), code: element.code, ...(element.display !== undefined ? { display: element.display } : {}) } });
        }
      }
    }
  }
  return out;
}
