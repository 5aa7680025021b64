import type { OperationOutcomeIssue } from 'fhir/r4';
import {
  OperationOutcomeError,
  arrayify,
  getDataType,
  getNestedProperty,
  isPrimitiveType,
  isResource,
  toTypedValue,
  tryGetDataType,
  validateResource,
  type Constraint,
  type CrawlerVisitor,
  type InternalSchemaElement,
  type InternalTypeSchema,
  type TypedValue,
  type TypedValueWithPath,
} from '@medplum/core';
import { checkRequiredBinding } from './binding-check';
import { validationIssue, type ValidationIssueCode } from './issues';
import { PRIMITIVE_TYPES, choiceSuffixType, isJsonObject } from './json-values';
import { resolveChoiceLocation } from './location';
import type { Terminology } from './terminology';
import { Invariant, medplumCanEvaluate } from './invariants';
import { xhtmlProblems } from './xhtml-check';

/**
 * Validation against the base R4 definitions: @medplum/core's `validateResource` plus the checks
 * it leaves out (see the module comment of validator.ts for the list). Issues are normalised to
 * our form: a FHIRPath location with indices and the JSON name of choice elements, an issue
 * code from the FHIR issue-type system, and the text in `diagnostics`.
 */
export function checkAgainstBase(
  resource: Record<string, unknown>,
  terminology: Terminology,
): OperationOutcomeIssue[] {
  const issues = [...runMedplumValidator(resource), ...runSupplementaryChecks(resource, terminology)];
  for (const issue of issues) {
    // A missing choice element has no JSON name to resolve to: it stays `value[x]`.
    if (issue.expression && issue.code !== 'required') {
      issue.expression = issue.expression.map((e) => resolveChoiceLocation(resource, e));
    }
  }
  return issues;
}

/**
 * Messages of @medplum/core 4.3.6 that we drop because runSupplementaryChecks reports the same
 * problem with an indexed location (medplum reports these on the element path, without the
 * indices of enclosing arrays), or because they are a symptom of a wrong JSON shape that the
 * supplementary checks name directly.
 */
const REPORTED_BY_SUPPLEMENTARY_CHECKS = [
  /^Invalid number of values/,
  /^Expected array of values for property/,
  /^Expected single value for property/,
  /^Invalid empty value$/,
  /^Invalid additional property "\d+"$/,
  /^Conflicting choice of type properties/,
];

function runMedplumValidator(resource: Record<string, unknown>): OperationOutcomeIssue[] {
  let raw: OperationOutcomeIssue[];
  try {
    raw = validateResource(resource as Parameters<typeof validateResource>[0]) as OperationOutcomeIssue[];
  } catch (error) {
    if (error instanceof OperationOutcomeError) {
      raw = (error.outcome.issue ?? []) as OperationOutcomeIssue[];
    } else {
      const message = error instanceof Error ? error.message : String(error);
      return [
        validationIssue(
          'processing',
          `The resource could not be validated: ${message}`,
          String(resource.resourceType),
        ),
      ];
    }
  }
  const issues: OperationOutcomeIssue[] = [];
  for (const issue of raw) {
    const text = issue.details?.text ?? issue.diagnostics ?? '';
    if (REPORTED_BY_SUPPLEMENTARY_CHECKS.some((pattern) => pattern.test(text))) continue;
    // An invariant medplum's engine cannot evaluate reliably is re-evaluated by the supplementary checks.
    const fhirpath = issue.code === 'invariant' ? parseFhirpathDiagnostics(issue.diagnostics) : undefined;
    if (fhirpath !== undefined && !medplumCanEvaluate(fhirpath)) continue;
    issues.push(normaliseMedplumIssue(issue, text, String(resource.resourceType)));
  }
  return issues;
}

function normaliseMedplumIssue(
  issue: OperationOutcomeIssue,
  text: string,
  resourceType: string,
): OperationOutcomeIssue {
  // Issues about the whole resource (e.g. an unknown type in `contained`) come without a location.
  const location = issue.expression?.[0] || resourceType;
  if (issue.code === 'invariant') {
    const fhirpath = parseFhirpathDiagnostics(issue.diagnostics);
    return validationIssue('invariant', fhirpath ? `${text} (${fhirpath})` : text, location);
  }
  if (/^Invalid reference/.test(text)) {
    // Kept as a warning: R4 lists the allowed target types, but a wrong one is only reported.
    return validationIssue('structure', text, location, 'warning');
  }
  return validationIssue(codeForMedplumMessage(text, issue.code), text, location, issue.severity);
}

function codeForMedplumMessage(text: string, original: OperationOutcomeIssue['code']): ValidationIssueCode {
  if (/^Missing required property/.test(text)) return 'required';
  if (/^Invalid additional property/.test(text)) return 'structure';
  if (/^Invalid (\w+ format|JSON type|numeric value)|^Expected number|^String must contain/.test(text))
    return 'value';
  if (original === 'invariant' || original === 'processing' || original === 'invalid') return original;
  return 'structure';
}

function parseFhirpathDiagnostics(diagnostics: string | undefined): string | undefined {
  if (!diagnostics) return undefined;
  try {
    const parsed: unknown = JSON.parse(diagnostics);
    return isJsonObject(parsed) && typeof parsed.fhirpath === 'string' ? parsed.fhirpath : undefined;
  } catch {
    return undefined;
  }
}

/** Invariants that @medplum/core skips too: ele-1 is implied by the shape checks, dom-3 needs descendants(), ... */
const SKIPPED_INVARIANTS = new Set(['ele-1', 'dom-3', 'org-1', 'sdf-19']);
const ID_PATTERN = /^[A-Za-z0-9\-.]{1,64}$/;

/**
 * What @medplum/core 4.3.6 does not check, found on the invalid-resource corpus:
 * - cardinality and array/single shape with the indices of enclosing arrays in the location;
 * - a JSON string or number where a complex datatype (an object) is expected;
 * - required-strength bindings (it checks none);
 * - invariants declared on a datatype (per-1 on Period, ref-1 on Reference, att-1 on Attachment...)
 *   and the root invariants of contained resources and Bundle entries: it evaluates only the
 *   invariants listed on each element and on the root resource;
 * - the `id` format of resources (Resource.id is typed as a plain string in the R4 snapshot);
 * - the narrative rules (txt-1, txt-2: `htmlChecks()`, which no engine here implements).
 */
function runSupplementaryChecks(
  resource: Record<string, unknown>,
  terminology: Terminology,
): OperationOutcomeIssue[] {
  const issues: OperationOutcomeIssue[] = [];
  const root = toTypedValue(resource);
  const resources: TypedValue[] = [root];

  const visitor: CrawlerVisitor = {
    onEnterResource: (_path, value) => {
      if (value.value !== resource) resources.push(value);
    },
    onExitResource: (_path, value) => {
      if (value.value !== resource) resources.pop();
    },
    visitProperty: (parent, key, _path, propertyValues, schema) => {
      const element = schema.elements[key];
      if (!element) return;
      const location = `${parent.path}.${key}`;
      if (key.endsWith('[x]')) checkSingleChoice(parent, key.slice(0, -3), element, issues);
      for (const propertyValue of propertyValues) {
        if (!checkShape(propertyValue, element, location, issues)) continue;
        const values = Array.isArray(propertyValue) ? propertyValue : [propertyValue];
        for (const value of values) {
          if (value.value === undefined || value.value === null) continue;
          if (!PRIMITIVE_TYPES.has(value.type) && !isJsonObject(value.value)) {
            issues.push(
              validationIssue(
                'structure',
                `Expected a JSON object for ${value.type}, found ${describe(value.value)}`,
                value.path,
              ),
            );
            continue;
          }
          if (value.type === 'xhtml' && typeof value.value === 'string') {
            for (const problem of xhtmlProblems(value.value)) {
              issues.push(
                validationIssue('invariant', `Constraint txt-1/txt-2 not met: ${problem}`, value.path),
              );
            }
          }
          if (
            key === 'id' &&
            schema.kind === 'resource' &&
            typeof value.value === 'string' &&
            !ID_PATTERN.test(value.value)
          ) {
            issues.push(validationIssue('value', `Invalid id format: '${value.value}'`, value.path));
          }
          if (element.binding?.strength === 'required' && element.binding.valueSet) {
            const issue = checkRequiredBinding(
              terminology,
              element.binding.valueSet,
              value.type,
              value.value,
              value.path,
            );
            if (issue) issues.push(issue);
          }
          checkValueInvariants(value, element, resources, issues);
        }
      }
    },
  };
  try {
    checkRootInvariants(resource, issues);
    crawlPresentElements(root, visitor);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    issues.push(
      validationIssue(
        'processing',
        `The resource could not be fully checked: ${message}`,
        String(resource.resourceType),
      ),
    );
  }
  return issues;
}

/**
 * @medplum/core's crawlTypedValue (typeschema/crawler.ts, 4.3.6) with one difference: in a JSON
 * object it visits only the elements that have a property there (`name`, `_name`, or for a
 * choice element any `value…`), where medplum's crawler looks up every element of the type.
 * The visitor above does nothing for an absent element (no value, no choice to compare), so
 * the issues are the same; most elements of a type are absent, so this is much less work.
 * A value that is not a JSON object is crawled as medplum does.
 */
function crawlPresentElements(root: TypedValue, visitor: CrawlerVisitor): void {
  const crawlObject = (obj: TypedValueWithPath, schema: InternalTypeSchema, path: string): void => {
    const objIsResource = isResource(obj.value);
    if (objIsResource) visitor.onEnterResource?.(path, obj, schema);
    const present = isJsonObject(obj.value) ? presentNames(obj.value) : undefined;
    for (const [key, element] of Object.entries(schema.elements)) {
      if (present && !isPresent(key, element, present)) continue;
      const propertyPath = `${path}.${key}`;
      const propertyValues = getNestedProperty(obj, key, { withPath: true });
      visitor.visitProperty(obj, key, propertyPath, propertyValues, schema);
      for (const propertyValue of propertyValues) {
        if (!propertyValue) continue;
        for (const value of arrayify(propertyValue) as TypedValueWithPath[]) {
          if (!isPrimitiveType(value.type)) crawlObject(value, getDataType(value.type), propertyPath);
        }
      }
    }
    if (objIsResource) visitor.onExitResource?.(path, obj, schema);
  };
  const schema = getDataType(root.type);
  crawlObject({ ...root, path: schema.path }, schema, schema.path);
}

/** The property names of a JSON object, primitive-extension `_` removed. */
function presentNames(object: Record<string, unknown>): Set<string> {
  const names = new Set<string>();
  for (const key of Object.keys(object)) names.add(key.startsWith('_') ? key.slice(1) : key);
  return names;
}

/** Whether medplum's property lookup can find a value for the element (a superset: it reads only these names). */
function isPresent(key: string, element: InternalSchemaElement, present: Set<string>): boolean {
  if (present.has(key)) return true;
  const last = element.path.slice(element.path.lastIndexOf('.') + 1);
  if (!last.endsWith('[x]')) return present.has(last);
  const prefix = last.slice(0, -3);
  for (const name of present) if (name.length > prefix.length && name.startsWith(prefix)) return true;
  return false;
}

/** Cardinality and array-or-single shape of one property. Returns false when its values should not be examined further. */
function checkShape(
  propertyValue: TypedValueWithPath | TypedValueWithPath[],
  element: InternalSchemaElement,
  location: string,
  issues: OperationOutcomeIssue[],
): boolean {
  if (Array.isArray(propertyValue)) {
    if (!element.isArray) {
      issues.push(validationIssue('structure', 'Expected a single value, found an array', location));
      return false;
    }
    if (propertyValue.length === 0) {
      issues.push(
        validationIssue('structure', 'Arrays must not be empty (omit the property instead)', location),
      );
      return false;
    }
    if (propertyValue.length < element.min || propertyValue.length > element.max) {
      issues.push(
        validationIssue(
          'structure',
          `Expected ${element.min}..${Number.isFinite(element.max) ? element.max : '*'} values, found ${propertyValue.length}`,
          location,
        ),
      );
    }
    return true;
  }
  if (propertyValue.value === undefined) return false;
  if (element.isArray) {
    issues.push(validationIssue('structure', 'Expected an array of values', location));
    return false;
  }
  return true;
}

/** Invariants we evaluate ourselves, compiled once per (type or element path, key). */
const invariants = new Map<string, Invariant>();

function invariantFor(
  typeName: string | undefined,
  modelPath: string,
  key: string,
  expression: string,
): Invariant {
  const cacheKey = `${typeName ?? ''}|${modelPath}|${key}`;
  let invariant = invariants.get(cacheKey);
  if (!invariant) {
    invariant = new Invariant(expression, typeName, modelPath);
    invariants.set(cacheKey, invariant);
  }
  return invariant;
}

function reportIfFailed(
  invariant: Invariant,
  constraint: Constraint,
  node: unknown,
  resource: unknown,
  rootResource: unknown,
  location: string,
  issues: OperationOutcomeIssue[],
): void {
  if (invariant.evaluate(node, resource, rootResource) !== 'fail') return;
  issues.push(
    validationIssue(
      'invariant',
      `Constraint ${constraint.key} not met: ${constraint.description} (${constraint.expression})`,
      location,
    ),
  );
}

/**
 * The invariants of one value: those of its datatype (or of the resource, for a contained
 * resource or a Bundle entry), which medplum does not evaluate below the root, and those of
 * its element that medplum's engine cannot evaluate reliably (medplumCanEvaluate).
 */
function checkValueInvariants(
  value: TypedValueWithPath,
  element: InternalSchemaElement,
  resources: TypedValue[],
  issues: OperationOutcomeIssue[],
): void {
  const node: unknown = value.value;
  const isResourceValue = isJsonObject(node) && typeof node.resourceType === 'string';
  const resource = isResourceValue ? node : resources[resources.length - 1].value;
  const rootResource = resources[0].value;
  const schema: InternalTypeSchema | undefined = PRIMITIVE_TYPES.has(value.type)
    ? undefined
    : tryGetDataType(value.type);
  const isBackbone = schema?.parentType !== undefined;

  const onElement = new Set<string>();
  for (const constraint of element.constraints ?? []) {
    onElement.add(constraint.key);
    if (constraint.severity !== 'error' || SKIPPED_INVARIANTS.has(constraint.key)) continue;
    if (medplumCanEvaluate(constraint.expression)) continue; // medplum's validateResource checked it
    const modelPath = isBackbone || !schema ? element.path : value.type;
    const invariant = invariantFor(undefined, modelPath, constraint.key, constraint.expression);
    reportIfFailed(invariant, constraint, node, resource, rootResource, value.path, issues);
  }

  if (!schema || isBackbone) return; // a backbone element's invariants are its element's
  for (const constraint of schema.constraints ?? []) {
    if (
      constraint.severity !== 'error' ||
      SKIPPED_INVARIANTS.has(constraint.key) ||
      onElement.has(constraint.key)
    ) {
      continue;
    }
    const invariant = invariantFor(value.type, value.type, constraint.key, constraint.expression);
    reportIfFailed(invariant, constraint, node, resource, rootResource, value.path, issues);
  }
}

/** The root resource's invariants that medplum's engine cannot evaluate reliably (it evaluates the others). */
function checkRootInvariants(resource: Record<string, unknown>, issues: OperationOutcomeIssue[]): void {
  const resourceType = String(resource.resourceType);
  for (const constraint of tryGetDataType(resourceType)?.constraints ?? []) {
    if (constraint.severity !== 'error' || SKIPPED_INVARIANTS.has(constraint.key)) continue;
    if (medplumCanEvaluate(constraint.expression)) continue;
    const invariant = invariantFor(undefined, resourceType, constraint.key, constraint.expression);
    reportIfFailed(invariant, constraint, resource, resource, resource, resourceType, issues);
  }
}

/**
 * A choice element has one value in FHIR JSON: `valueString` and `valueBoolean` together are
 * an error (medplum only warns, without a usable location).
 */
function checkSingleChoice(
  parent: TypedValueWithPath,
  prefix: string,
  element: InternalSchemaElement,
  issues: OperationOutcomeIssue[],
): void {
  const object: unknown = parent.value;
  if (!isJsonObject(object)) return;
  const types = new Set(element.type.map((t) => t.code));
  const keys = Object.keys(object).filter(
    (k) => k.startsWith(prefix) && types.has(choiceSuffixType(k, prefix)),
  );
  if (keys.length > 1) {
    issues.push(
      validationIssue(
        'structure',
        `Only one of ${keys.join(', ')} may be present (${prefix}[x] has one value)`,
        `${parent.path}.${keys[1]}`,
      ),
    );
  }
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'string' ? `the string '${value}'` : `a ${typeof value}`;
}
