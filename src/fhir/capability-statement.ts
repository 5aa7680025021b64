import type { CapabilityStatement, CapabilityStatementRestResource, CapabilityStatementRestSecurity } from 'fhir/r4';
import { RESOURCE_TYPES } from './resource-types';
import type { SearchParameterRegistry } from './search/search-parameter-registry';

export interface CapabilityInputs {
  baseUrl: string;
  version: string;
  registry: SearchParameterRegistry;
  operations: { name: string; definition: string; resourceTypes: string[] | '*'; system: boolean; type: boolean; instance: boolean; documentation: string }[];
  /** Profiles per resource type (from profiles/). */
  supportedProfiles: Map<string, string[]>;
  security?: CapabilityStatementRestSecurity;
}

const INTERACTIONS: CapabilityStatementRestResource['interaction'] = [
  { code: 'read' },
  { code: 'vread' },
  { code: 'update' },
  { code: 'patch' },
  { code: 'delete' },
  { code: 'history-instance' },
  { code: 'history-type' },
  { code: 'create' },
  { code: 'search-type' },
];

const SEARCH_RESULT_PARAMS = ['_sort', '_count', '_include', '_revinclude', '_summary', '_total', '_elements'];

/** What this server's full-text parameters search; R4 defines both for every type (Resource-content, Resource-text). */
const FULL_TEXT: Record<string, string> = {
  _text: 'Full-text search of the narrative (English stemming)',
  _content: 'Full-text search of the whole resource and its text attachments',
};

/** One entry per parameter name (cpb-12): the registry's, with our own documentation of full-text search. */
function searchParams(params: ReturnType<SearchParameterRegistry['forType']>): NonNullable<CapabilityStatementRestResource['searchParam']> {
  const out: NonNullable<CapabilityStatementRestResource['searchParam']> = params.map((p) => {
    const documentation = FULL_TEXT[p.code] ?? p.description;
    return { name: p.code, definition: p.url, type: p.type, ...(documentation.trim() !== '' ? { documentation } : {}) };
  });
  for (const [name, documentation] of Object.entries(FULL_TEXT)) {
    if (!out.some((p) => p.name === name)) out.push({ name, type: 'string', documentation });
  }
  return out;
}

/** The CapabilityStatement, generated from what the server really has: never hand-written. */
export function buildCapabilityStatement(inputs: CapabilityInputs): CapabilityStatement {
  const resources: CapabilityStatementRestResource[] = [...RESOURCE_TYPES].sort().map((type) => {
    const params = inputs.registry.forType(type);
    const resource: CapabilityStatementRestResource = {
      type: type as CapabilityStatementRestResource['type'],
      profile: `http://hl7.org/fhir/StructureDefinition/${type}`,
      interaction: INTERACTIONS,
      versioning: 'versioned-update',
      readHistory: true,
      updateCreate: true,
      conditionalCreate: true,
      conditionalRead: 'not-supported',
      conditionalUpdate: true,
      conditionalDelete: 'single',
      searchInclude: params.filter((p) => p.type === 'reference').map((p) => `${type}:${p.code}`),
      searchParam: searchParams(params),
    };
    const profiles = inputs.supportedProfiles.get(type);
    if (profiles && profiles.length > 0) resource.supportedProfile = profiles;
    const ops = inputs.operations.filter((o) => (o.type || o.instance) && (o.resourceTypes === '*' || o.resourceTypes.includes(type)));
    if (ops.length > 0) resource.operation = ops.map((o) => ({ name: o.name, definition: o.definition, documentation: o.documentation }));
    return resource;
  });
  const rest: NonNullable<CapabilityStatement['rest']>[number] = {
    mode: 'server',
    resource: resources,
    interaction: [{ code: 'transaction' }, { code: 'batch' }, { code: 'search-system' }, { code: 'history-system' }],
    // GET [base]/Patient/[id]/[type] (fhir-router).
    compartment: ['http://hl7.org/fhir/CompartmentDefinition/patient'],
    searchParam: SEARCH_RESULT_PARAMS.map((name) => ({ name, type: name === '_count' ? 'number' : 'string' })),
    operation: inputs.operations.filter((o) => o.system).map((o) => ({ name: o.name, definition: o.definition })),
  };
  if (inputs.security) rest.security = inputs.security;
  return {
    resourceType: 'CapabilityStatement',
    status: 'active',
    date: new Date().toISOString().slice(0, 10),
    publisher: 'patient-education-fhir',
    kind: 'instance',
    software: { name: 'patient-education-fhir', version: inputs.version },
    implementation: { description: 'FHIR R4 server for patient-education content', url: inputs.baseUrl },
    fhirVersion: '4.0.1',
    format: ['application/fhir+json', 'json'],
    patchFormat: ['application/json-patch+json', 'application/fhir+json'],
    rest: [rest],
  };
}
