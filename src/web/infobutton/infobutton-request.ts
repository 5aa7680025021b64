import { FhirError } from '../../fhir/fhir-error';

/**
 * A knowledge request of the HL7 Context-Aware Knowledge Retrieval (Infobutton) URL-based
 * implementation guide, as MedlinePlus Connect reads it. Parameters the responder does not use
 * (patientPerson.administrativeGenderCode.c, age.v.v, age.v.u, taskContext.c.c, performer,
 * encounter.c.c, …) are accepted and ignored, as responders do.
 */
export interface InfobuttonRequest {
  criteria: SearchCriterion[];
  /** PAT (the patient, default) or PROV (a clinician; PAYOR is answered as PROV). */
  recipient: 'PAT' | 'PROV';
  /** The requested language is one we have material in (English). */
  languageAvailable: boolean;
  responseType: 'text/xml' | 'application/json' | 'text/html';
}

export interface SearchCriterion {
  /** The code (mainSearchCriteria.v.c[n]). */
  code: string | undefined;
  /** The code system as the request named it (an OID, or a URI). */
  codeSystem: string | undefined;
  /** The FHIR system URI for the code system. */
  system: string | undefined;
  /** The display text (mainSearchCriteria.v.dn[n]), used only when no code is given. */
  displayName: string | undefined;
}

/** Code systems by OID (HL7 OID registry), as FHIR system URIs. */
export const CODE_SYSTEM_OIDS: Readonly<Record<string, string>> = {
  '2.16.840.1.113883.6.12': 'http://www.ama-assn.org/go/cpt',
  '2.16.840.1.113883.6.4': 'http://www.cms.gov/Medicare/Coding/ICD10',
  '2.16.840.1.113883.6.90': 'http://hl7.org/fhir/sid/icd-10-cm',
  '2.16.840.1.113883.6.96': 'http://snomed.info/sct',
  '2.16.840.1.113883.6.1': 'http://loinc.org',
  '2.16.840.1.113883.6.88': 'http://www.nlm.nih.gov/research/umls/rxnorm',
};

/** The OID of a FHIR system URI (for the feed's category), when it has one. */
export function oidOf(system: string): string | undefined {
  return Object.entries(CODE_SYSTEM_OIDS).find(([, uri]) => uri === system)?.[0];
}

const OID = /^[0-2](\.(0|[1-9]\d{0,9})){1,40}$/;
const URI = /^(https?:\/\/[^\s]{1,300}|urn:[a-z0-9][a-z0-9-]{0,31}:[^\s]{1,300})$/i;
/** More criteria than a record's problem list would send at once. */
const MAX_CRITERIA = 20;
const MAX_TEXT = 200;
const SPANISH = new Set(['sp', 'es', 'spa']);
const ENGLISH = /^(en|eng)(-[a-z]{2})?$/i;
const RESPONSE_TYPES = ['text/xml', 'application/json', 'text/html'] as const;

/**
 * The system URI for a code system given by OID (the guide's form) or as a URI. An OID of
 * a system not listed above becomes `urn:oid:<oid>`, which a site's ConceptMap can map from.
 */
function systemOf(codeSystem: string, name: string): string {
  if (OID.test(codeSystem)) return CODE_SYSTEM_OIDS[codeSystem] ?? `urn:oid:${codeSystem}`;
  if (URI.test(codeSystem)) return codeSystem.toLowerCase().startsWith('urn:oid:') ? (CODE_SYSTEM_OIDS[codeSystem.slice(8)] ?? codeSystem) : codeSystem;
  throw FhirError.badRequest(
    `${name} must be a code system OID such as 2.16.840.1.113883.6.12 (CPT) or a URI; "${codeSystem.slice(0, 80)}" is neither`,
    name,
  );
}

function single(params: URLSearchParams, name: string): string | undefined {
  const values = params.getAll(name);
  if (values.length > 1) throw FhirError.badRequest(`${name} is given ${values.length} times; give it once`, name);
  const value = values[0]?.trim();
  if (value !== undefined && value.length > MAX_TEXT) throw FhirError.badRequest(`${name} is longer than ${MAX_TEXT} characters`, name);
  return value === '' ? undefined : value;
}

export function parseInfobuttonRequest(params: URLSearchParams): InfobuttonRequest {
  if (params.has('callback')) {
    throw FhirError.badRequest('JSONP (callback=) is not supported: ask for knowledgeResponseType=application/json and read it with CORS', 'callback');
  }
  const criteria: SearchCriterion[] = [];
  for (let n = 0; n <= MAX_CRITERIA; n++) {
    const suffix = n === 0 ? '' : String(n);
    const code = single(params, `mainSearchCriteria.v.c${suffix}`);
    const codeSystem = single(params, `mainSearchCriteria.v.cs${suffix}`);
    const displayName = single(params, `mainSearchCriteria.v.dn${suffix}`);
    if (code === undefined && codeSystem === undefined && displayName === undefined) continue;
    if (code !== undefined && codeSystem === undefined) {
      throw FhirError.badRequest(`mainSearchCriteria.v.c${suffix} needs its code system: mainSearchCriteria.v.cs${suffix} (an OID)`, `mainSearchCriteria.v.cs${suffix}`);
    }
    const system = codeSystem !== undefined ? systemOf(codeSystem, `mainSearchCriteria.v.cs${suffix}`) : undefined;
    if (code === undefined && displayName === undefined) {
      throw FhirError.badRequest(`mainSearchCriteria.v.cs${suffix} is given without a code (mainSearchCriteria.v.c${suffix})`, `mainSearchCriteria.v.c${suffix}`);
    }
    criteria.push({ code, codeSystem, system, displayName });
  }
  if (criteria.length === 0) {
    throw FhirError.badRequest('Name what to find: mainSearchCriteria.v.c with mainSearchCriteria.v.cs (a code and its code system OID), or mainSearchCriteria.v.dn', 'mainSearchCriteria.v.c');
  }

  const recipient = single(params, 'informationRecipient')?.toUpperCase() ?? 'PAT';
  if (!['PAT', 'PROV', 'PAYOR'].includes(recipient)) {
    throw FhirError.badRequest(`informationRecipient must be PAT (patient) or PROV (clinician), got "${recipient}"`, 'informationRecipient');
  }
  const language = single(params, 'informationRecipient.languageCode.c') ?? 'en';
  if (!SPANISH.has(language.toLowerCase()) && !ENGLISH.test(language) && !/^[a-z]{2,3}(-[a-z0-9]{2,8})?$/i.test(language)) {
    throw FhirError.badRequest(`informationRecipient.languageCode.c must be a language code such as en or sp, got "${language}"`, 'informationRecipient.languageCode.c');
  }
  const type = (single(params, 'knowledgeResponseType') ?? 'text/xml').toLowerCase();
  if (type === 'application/javascript' || type === 'text/javascript') {
    throw FhirError.badRequest('JSONP (application/javascript) is not supported: ask for application/json', 'knowledgeResponseType');
  }
  if (!(RESPONSE_TYPES as readonly string[]).includes(type)) {
    throw FhirError.badRequest(`knowledgeResponseType must be one of ${RESPONSE_TYPES.join(', ')}, got "${type}"`, 'knowledgeResponseType');
  }
  return {
    criteria,
    recipient: recipient === 'PAT' ? 'PAT' : 'PROV',
    languageAvailable: ENGLISH.test(language),
    responseType: type as InfobuttonRequest['responseType'],
  };
}
