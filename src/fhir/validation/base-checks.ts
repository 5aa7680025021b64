import type { OperationOutcomeIssue } from 'fhir/r4';
import type {
  Constraint,
  InternalSchemaElement,
  InternalTypeSchema,
  TypedValue,
  TypedValueWithPath,
} from '@medplum/core';
import {
  deepEquals,
  deepIncludes,
  fhirTypeToJsType,
  getDataType,
  isEmpty,
  isPrimitiveType,
  isReference,
  isResource,
  toTypedValue,
  tryGetDataType,
  validationRegexes,
} from './medplum-functions';
import { checkRequiredBinding } from './binding-check';
import { validationIssue } from './issues';
import { PRIMITIVE_TYPES, choiceSuffixType, isJsonObject } from './json-values';
import { resolveChoiceLocation } from './location';
import type { Terminology } from './terminology';
import { Invariant } from './invariants';
import { xhtmlProblems } from './xhtml-check';
import { isTemporalType, temporalProblem } from '../temporal';
import { ID_PATTERN } from '../resource-types';

/**
 * Validation against the base R4 definitions, in one walk over the elements present in the
 * resource. Issues have our form: a FHIRPath location with indices and the JSON name of choice
 * elements, an issue code from the FHIR issue-type system, and the text in `diagnostics`.
 *
 * The checks are those of @medplum/core 4.3.6's `validateResource` (typeschema/validation.ts,
 * Apache-2.0; its messages are kept word for word) and those it leaves out:
 * - cardinality and array/single shape with the indices of enclosing arrays in the location;
 * - a JSON string or number where a complex datatype (an object) is expected;
 * - required-strength bindings (it checks none);
 * - invariants declared on a datatype (per-1 on Period, ref-1 on Reference, att-1 on Attachment...)
 *   and the root invariants of contained resources and Bundle entries: it evaluates only the
 *   invariants listed on each element and on the root resource;
 * - the `id` format of resources (Resource.id is typed as a plain string in the R4 snapshot);
 * - the narrative rules (txt-1, txt-2: `htmlChecks()`, which no engine here implements).
 *
 * Why not call `validateResource`: its crawler looks up every element of every type, present or
 * not (most are absent), and our checks needed a second walk. One walk over the present
 * elements, with the absent required ones found from a precomputed list, does the same work in
 * about half the time (bench/validate-micro.ts). Every invariant, the element ones included, is
 * evaluated by invariants.ts: medplum's FHIRPath engine first where it is reliable, each failure
 * confirmed by the `fhirpath` package.
 */
export function checkAgainstBase(
  resource: Record<string, unknown>,
  terminology: Terminology,
): OperationOutcomeIssue[] {
  const issues: OperationOutcomeIssue[] = [];
  const walk = new BaseCheckWalk(resource, terminology, issues);
  try {
    walk.run();
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
  for (const issue of issues) {
    // A missing choice element has no JSON name to resolve to: it stays `value[x]`.
    if (issue.expression && issue.code !== 'required') {
      issue.expression = issue.expression.map((e) => resolveChoiceLocation(resource, e));
    }
  }
  return issues;
}

/** Invariants that @medplum/core skips too: ele-1 is implied by the shape checks, dom-3 needs descendants(), ... */
const SKIPPED_INVARIANTS = new Set(['ele-1', 'dom-3', 'org-1', 'sdf-19']);
const JS_TYPE_OF_PRIMITIVE: Record<string, string> = fhirTypeToJsType;
const HL7_PROFILE_BASE = 'http://hl7.org/fhir/StructureDefinition/';

class BaseCheckWalk {
  /** The resources enclosing the value being checked: the root, then contained ones and Bundle entries. */
  private readonly resources: unknown[];

  constructor(
    private readonly resource: Record<string, unknown>,
    private readonly terminology: Terminology,
    private readonly issues: OperationOutcomeIssue[],
  ) {
    this.resources = [resource];
  }

  run(): void {
    const resourceType = String(this.resource.resourceType);
    const schema = getDataType(resourceType);
    for (const constraint of schema.constraints ?? []) {
      if (constraint.severity !== 'error' || SKIPPED_INVARIANTS.has(constraint.key)) continue;
      const invariant = invariantFor(resourceType, resourceType, constraint.key, constraint.expression);
      this.reportIfFailed(invariant, constraint, this.resource, this.resource, resourceType);
    }
    if (holdsNull(this.resource)) this.checkNulls(this.resource, resourceType);
    const root = toTypedValue(this.resource);
    this.walkObject({ ...root, path: schema.path }, schema);
  }

  private walkObject(obj: TypedValueWithPath, schema: InternalTypeSchema): void {
    const objIsResource = obj.value !== this.resource && isResource(obj.value);
    if (objIsResource) this.resources.push(obj.value);
    const elements = elementIndexOf(schema);
    const object = isJsonObject(obj.value) ? obj.value : undefined;
    // An object is walked by the elements its keys name, and the required ones, in the
    // definition's order; anything else (an error reported elsewhere) by every element.
    const named = object ? elementsNamedBy(object, elements) : undefined;
    const visited = named ? withRequired(named, elements) : elements.entries.map((_, i) => i);
    for (const i of visited) {
      const [key, element] = elements.entries[i];
      if (named && !named.has(i)) {
        this.issues.push(missingRequired(`${obj.path}.${key}`));
        continue;
      }
      const propertyValue = typedPropertyValue(obj, key, element);
      this.visitProperty(obj, key, element, propertyValue);
      for (const value of Array.isArray(propertyValue) ? propertyValue : [propertyValue]) {
        if (value.value !== undefined && !isPrimitiveType(value.type))
          this.walkObject(value, getDataType(value.type));
      }
    }
    if (object) this.checkAdditionalProperties(object, obj.path, schema.elements, elements);
    if (objIsResource) this.resources.pop();
  }

  private visitProperty(
    parent: TypedValueWithPath,
    key: string,
    element: InternalSchemaElement,
    propertyValue: TypedValueWithPath | TypedValueWithPath[],
  ): void {
    const location = `${parent.path}.${key}`;
    if (key.endsWith('[x]')) checkSingleChoice(parent, key.slice(0, -3), element, this.issues);
    if (!Array.isArray(propertyValue) && propertyValue.value === undefined) {
      if (element.min > 0) this.issues.push(missingRequired(propertyValue.path));
      return;
    }
    if (!checkShape(propertyValue, element, location, this.issues)) return;
    if (!matchesSpecifiedValue(propertyValue, element)) {
      this.issues.push(validationIssue('structure', 'Value did not match expected pattern', location));
    }
    const values = Array.isArray(propertyValue) ? propertyValue : [propertyValue];
    for (const value of values) {
      if (value.value === undefined || value.value === null) continue;
      this.checkValue(key, element, value, parent);
    }
  }

  private checkValue(
    key: string,
    element: InternalSchemaElement,
    value: TypedValueWithPath,
    parent: TypedValueWithPath,
  ): void {
    const primitive = PRIMITIVE_TYPES.has(value.type);
    if (!primitive && !isPrimitiveType(value.type) && !isJsonObject(value.value)) {
      this.issues.push(
        validationIssue(
          'structure',
          `Expected a JSON object for ${value.type}, found ${describe(value.value)}`,
          value.path,
        ),
      );
      return;
    }
    this.checkValueInvariants(value, element);
    referenceTypeCheck(value, element, this.issues);
    if (isPrimitiveType(value.type)) this.checkPrimitive(value);
    else if (isEmpty(value.value)) {
      this.issues.push(validationIssue('structure', 'Invalid empty non-primitive value', value.path));
    }
    if (value.type === 'xhtml' && typeof value.value === 'string') {
      for (const problem of xhtmlProblems(value.value)) {
        this.issues.push(
          validationIssue('invariant', `Constraint txt-1/txt-2 not met: ${problem}`, value.path),
        );
      }
    }
    if (
      key === 'id' &&
      isResource(parent.value) &&
      typeof value.value === 'string' &&
      !ID_PATTERN.test(value.value)
    ) {
      this.issues.push(validationIssue('value', `Invalid id format: '${value.value}'`, value.path));
    }
    if (element.binding?.strength === 'required' && element.binding.valueSet) {
      const issue = checkRequiredBinding(
        this.terminology,
        element.binding.valueSet,
        value.type,
        value.value,
        value.path,
      );
      if (issue) this.issues.push(issue);
    }
  }

  /** The JSON type and the format of a primitive; the extensions of a primitive (`_birthDate`) are walked as an Element. */
  private checkPrimitive(typedValue: TypedValueWithPath): void {
    const [primitiveValue, extensionElement] = unpackPrimitiveElement(typedValue);
    const path = typedValue.path;
    if (primitiveValue) {
      const { type, value } = primitiveValue;
      const expectedType = JS_TYPE_OF_PRIMITIVE[type];
      if (expectedType === undefined) {
        this.issues.push(
          validationIssue('value', `Invalid JSON type: ${type} is not a valid FHIR type`, path),
        );
      } else if (typeof value !== expectedType) {
        if (value !== null) {
          this.issues.push(
            validationIssue(
              'value',
              `Invalid JSON type: expected ${expectedType}, but got ${typeof value}`,
              path,
            ),
          );
        }
      } else if (expectedType === 'string') {
        checkString(value as string, type, path, this.issues);
      } else if (expectedType === 'number') {
        checkNumber(value as number, type, path, this.issues);
      }
    }
    if (extensionElement?.value) {
      this.walkObject({ ...extensionElement, path }, getDataType('Element'));
    }
  }

  /**
   * The invariants of one value: those of its element (medplum's `constraintsCheck`), and those
   * of its datatype (or of the resource, for a contained resource or a Bundle entry).
   */
  private checkValueInvariants(value: TypedValueWithPath, element: InternalSchemaElement): void {
    const node: unknown = value.value;
    const isResourceValue = isJsonObject(node) && typeof node.resourceType === 'string';
    const resource = isResourceValue ? node : this.resources[this.resources.length - 1];
    const schema: InternalTypeSchema | undefined = PRIMITIVE_TYPES.has(value.type)
      ? undefined
      : tryGetDataType(value.type);
    const isBackbone = schema?.parentType !== undefined;

    const onElement = new Set<string>();
    for (const constraint of element.constraints ?? []) {
      onElement.add(constraint.key);
      if (constraint.severity !== 'error' || SKIPPED_INVARIANTS.has(constraint.key)) continue;
      const modelPath = isBackbone || !schema ? element.path : value.type;
      const invariant = invariantFor(value.type, modelPath, constraint.key, constraint.expression);
      this.reportIfFailed(invariant, constraint, node, resource, value.path);
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
      this.reportIfFailed(invariant, constraint, node, resource, value.path);
    }
  }

  private reportIfFailed(
    invariant: Invariant,
    constraint: Constraint,
    node: unknown,
    resource: unknown,
    location: string,
  ): void {
    if (invariant.evaluate(node, resource, this.resource) !== 'fail') return;
    this.issues.push(
      validationIssue(
        'invariant',
        `Constraint ${constraint.key} not met: ${constraint.description} (${constraint.expression})`,
        location,
      ),
    );
  }

  /** `null` is a value only in an array of primitives whose `_` partner has extensions at that index. */
  private checkNulls(obj: Record<string, unknown>, path: string): void {
    for (const [key, value] of Object.entries(obj)) {
      const propertyPath = `${path}.${key}`;
      const partner = obj[key.startsWith('_') ? key.slice(1) : `_${key}`];
      if (value === null) {
        this.issues.push(validationIssue('structure', 'Invalid null value', propertyPath));
      } else if (Array.isArray(value)) {
        value.forEach((item: unknown, i) => {
          if (item === undefined) {
            this.issues.push(
              validationIssue('structure', 'Invalid undefined value', `${propertyPath}[${i}]`),
            );
          } else if (item === null && !(Array.isArray(partner) && partner[i])) {
            this.issues.push(validationIssue('structure', 'Invalid null value', `${propertyPath}[${i}]`));
          } else if (isJsonObject(item)) {
            this.checkNulls(item, `${propertyPath}[${i}]`);
          }
        });
      } else if (isJsonObject(value)) {
        this.checkNulls(value, propertyPath);
      }
    }
  }

  /** Properties the type does not define (medplum's checkAdditionalProperties). */
  private checkAdditionalProperties(
    object: Record<string, unknown>,
    path: string,
    properties: Record<string, InternalSchemaElement>,
    elements: ElementIndex,
  ): void {
    const choiceElements: Record<string, string> = {};
    for (const key of Object.keys(object)) {
      if (key === 'resourceType') continue;
      const choiceName = elements.choiceNameOf(key);
      if (choiceName) {
        const related = choiceName.startsWith('_') ? choiceName.slice(1) : `_${choiceName}`;
        const requiredRelated = choiceName.startsWith('_') ? key.slice(1) : `_${key}`;
        if (Object.hasOwn(choiceElements, related) && choiceElements[related] !== requiredRelated) {
          const name = choiceName.startsWith('_') ? choiceName.slice(1) : choiceName;
          this.issues.push(
            validationIssue(
              'structure',
              `Type of primitive extension does not match the type of property "${name}"`,
              choiceName,
              'warning',
            ),
          );
        }
        // Two values of one choice element are reported by checkSingleChoice, with a location.
        choiceElements[choiceName] = key;
        continue;
      }
      if (
        // Own properties only: `toString`, `constructor`, `__proto__` are `in` every object.
        !Object.hasOwn(properties, key) &&
        !(key.startsWith('_') && Object.hasOwn(properties, key.slice(1))) &&
        !/^\d+$/.test(key)
      ) {
        this.issues.push(validationIssue('structure', `Invalid additional property "${key}"`, `${path}.${key}`));
      }
    }
  }
}

/**
 * The elements of a type in the definition's order, with the JSON names each can take (`name`
 * and `_name`; `valueString`, `_valueString`, ... for a choice `value[x]`): a walk finds the
 * elements an object holds from its keys instead of trying every element of the type.
 */
class ElementIndex {
  readonly entries: [string, InternalSchemaElement][];
  /** Definition order of the required elements (min > 0). */
  readonly required: number[] = [];
  private readonly byJsonName = new Map<string, number>();

  constructor(schema: InternalTypeSchema) {
    this.entries = Object.entries(schema.elements);
    this.entries.forEach(([key, element], i) => {
      if (element.min > 0) this.required.push(i);
      const names = key.endsWith('[x]') ? jsonNamesOf(element).map((n) => n.json) : [key];
      for (const name of names) {
        for (const jsonName of [name, `_${name}`]) if (!this.byJsonName.has(jsonName)) this.byJsonName.set(jsonName, i);
      }
    });
  }

  /** The element a JSON key is a value of (or the `_` extension part of), if any. */
  elementOf(key: string): number | undefined {
    return this.byJsonName.get(key);
  }

  /** The choice element (`value[x]`, `_value[x]`) a JSON key is a value of, if it is one of a type the element allows. */
  choiceNameOf(key: string): string | undefined {
    const i = this.byJsonName.get(key);
    if (i === undefined) return undefined;
    const elementKey = this.entries[i][0];
    if (!elementKey.endsWith('[x]')) return undefined;
    return key.startsWith('_') ? `_${elementKey}` : elementKey;
  }
}

const elementIndexes = new WeakMap<InternalTypeSchema, ElementIndex>();

function elementIndexOf(schema: InternalTypeSchema): ElementIndex {
  let index = elementIndexes.get(schema);
  if (!index) elementIndexes.set(schema, (index = new ElementIndex(schema)));
  return index;
}

/** The elements the object's keys name (a value, or the `_` extension part of one). */
function elementsNamedBy(object: Record<string, unknown>, elements: ElementIndex): Set<number> {
  const named = new Set<number>();
  for (const key of Object.keys(object)) {
    const i = elements.elementOf(key);
    if (i !== undefined) named.add(i);
  }
  return named;
}

/** These elements and the required ones, in the definition's order. */
function withRequired(named: Set<number>, elements: ElementIndex): number[] {
  const visit = [...named];
  for (const i of elements.required) if (!named.has(i)) visit.push(i);
  return visit.sort((a, b) => a - b);
}

/**
 * The value(s) of one element of a typed object, as @medplum/core's
 * `getNestedProperty(obj, key, { withPath: true })` returns them (its getTypedPropertyValue,
 * 4.3.6), for the element the caller has already looked up: the first of the element's types
 * whose JSON name is present, a primitive merged with its `_` extension part, `Resource`
 * typed as the resource's own type, empty values as absent. The JSON names of each element's
 * types are computed once (medplum builds them on every call, for every type of a choice).
 */
function typedPropertyValue(
  obj: TypedValueWithPath,
  key: string,
  element: InternalSchemaElement,
): TypedValueWithPath | TypedValueWithPath[] {
  const path = `${obj.path}.${key}`;
  const object = obj.value as Record<string, unknown> | undefined;
  const names = object ? jsonNamesOf(element) : [];
  let value: unknown;
  let extension: unknown;
  let type = 'undefined';
  for (const name of names) {
    value = object![name.json];
    extension = object![name.extension];
    if (value !== undefined || extension !== undefined) {
      type = name.code;
      break;
    }
  }
  if (extension) {
    if (Array.isArray(value)) {
      const merged: unknown[] = value.slice();
      const extensions = Array.isArray(extension) ? (extension as unknown[]) : [];
      for (let i = 0; i < Math.max(merged.length, extensions.length); i++) {
        merged[i] = withPrimitiveExtension(merged[i], extensions[i]);
      }
      value = merged;
    } else {
      value = withPrimitiveExtension(value, extension);
    }
  }
  if (isEmpty(value)) return { type: 'undefined', value: undefined, path };
  if (type === 'Element' || type === 'BackboneElement') type = element.type[0].code;
  const typed = (v: unknown, p: string): TypedValueWithPath => ({
    type: type === 'Resource' && isResource(v) ? v.resourceType : type,
    value: v,
    path: p,
  });
  return Array.isArray(value) ? value.map((v: unknown, i) => typed(v, `${path}[${i}]`)) : typed(value, path);
}

interface JsonName {
  json: string;
  extension: string;
  code: string;
}

const jsonNames = new WeakMap<InternalSchemaElement, JsonName[]>();

function jsonNamesOf(element: InternalSchemaElement): JsonName[] {
  let names = jsonNames.get(element);
  if (!names) {
    const last = element.path.slice(element.path.lastIndexOf('.') + 1);
    names = (element.type ?? []).map((t) => {
      const json = last.replace('[x]', t.code.charAt(0).toUpperCase() + t.code.slice(1));
      return { json, extension: `_${json}`, code: t.code };
    });
    jsonNames.set(element, names);
  }
  return names;
}

/** A primitive with the properties of its `_` partner (medplum boxes a string as a String object). */
function withPrimitiveExtension(value: unknown, extension: unknown): unknown {
  if (!extension) return value;
  if (typeof extension !== 'object') throw new Error('Primitive extension must be an object');
  const properties = Object.entries(extension).filter(([k]) => k !== '__proto__' && k !== 'constructor');
  return Object.assign(Object(value ?? {}) as object, Object.fromEntries(properties));
}

/** Invariants, compiled once per (type, element path or type, key). */
const invariants = new Map<string, Invariant>();

function invariantFor(typeName: string, modelPath: string, key: string, expression: string): Invariant {
  const cacheKey = `${typeName}|${modelPath}|${key}`;
  let invariant = invariants.get(cacheKey);
  if (!invariant) {
    invariant = new Invariant(expression, typeName, modelPath);
    invariants.set(cacheKey, invariant);
  }
  return invariant;
}

/** Whether a null (or an undefined array item) is anywhere in the value: the rare case checkNulls looks into. */
function holdsNull(value: unknown): boolean {
  if (value === null || value === undefined) return true;
  if (typeof value !== 'object') return false;
  if (Array.isArray(value)) {
    for (const item of value) if (holdsNull(item)) return true;
    return false;
  }
  for (const key in value) if (holdsNull((value as Record<string, unknown>)[key])) return true;
  return false;
}

function missingRequired(location: string): OperationOutcomeIssue {
  return validationIssue('required', 'Missing required property', location);
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

/** fixed[x] and pattern[x] of the element (medplum's matchesSpecifiedValue). */
function matchesSpecifiedValue(value: TypedValue | TypedValue[], element: InternalSchemaElement): boolean {
  if (!element.pattern && !element.fixed) return true;
  const typeAndValue = Array.isArray(value)
    ? value.map((v) => ({ type: v.type, value: v.value }))
    : { type: value.type, value: value.value };
  if (element.pattern && !deepIncludes(typeAndValue, element.pattern)) return false;
  if (element.fixed && !deepEquals(typeAndValue, element.fixed)) return false;
  return true;
}

/** A literal reference to a resource type the element does not allow is a warning (medplum's referenceTypeCheck). */
function referenceTypeCheck(
  value: TypedValueWithPath,
  element: InternalSchemaElement,
  issues: OperationOutcomeIssue[],
): void {
  if (value.type !== 'Reference') return;
  const reference: unknown = value.value;
  if (!isReference(reference) || reference.reference.startsWith('#')) return;
  const targetType = reference.reference.includes('?')
    ? reference.reference.split('?')[0]
    : reference.reference.split('/')[0];
  if (!targetType) return;
  const targetProfiles = element.type.find((t) => t.code === 'Reference')?.targetProfile;
  if (!targetProfiles) return;
  for (const profile of targetProfiles) {
    if (
      profile === `${HL7_PROFILE_BASE}Resource` ||
      profile === `${HL7_PROFILE_BASE}${targetType}` ||
      profile === `https://medplum.com/fhir/StructureDefinition/${targetType}`
    ) {
      return;
    }
    if (
      !profile.startsWith(HL7_PROFILE_BASE) &&
      !profile.startsWith('https://medplum.com/fhir/StructureDefinition/')
    ) {
      return; // a profile we cannot tell the type of
    }
  }
  // Kept as a warning: R4 lists the allowed target types, but a wrong one is only reported.
  issues.push(
    validationIssue(
      'structure',
      `Invalid reference: got "${targetType}", expected "${targetProfiles.join('", "')}"`,
      value.path,
      'warning',
    ),
  );
}

function checkString(str: string, type: string, path: string, issues: OperationOutcomeIssue[]): void {
  if (!str.trim()) {
    issues.push(validationIssue('value', 'String must contain non-whitespace content', path));
    return;
  }
  if (isTemporalType(type)) {
    const problem = temporalProblem(str, type);
    if (problem) issues.push(validationIssue('value', `Invalid ${type} format: "${str}" ${problem}`, path));
    return;
  }
  const regex = validationRegexes[type];
  if (regex && !regex.exec(str)) issues.push(validationIssue('value', `Invalid ${type} format`, path));
  // R4 datatypes.html#string: "Strings SHALL NOT exceed 1MB in size" (1024 * 1024 characters).
  if (STRING_TYPES.has(type) && str.length > MAX_STRING_LENGTH) {
    issues.push(validationIssue('too-long', `The ${type} is ${str.length} characters long; R4 allows at most ${MAX_STRING_LENGTH} (1 MB)`, path));
  }
  // As in the HL7 reference validator (a warning by default): markdown is not HTML, and a
  // presentation layer escapes what looks like a tag.
  if (type === 'markdown') {
    const tag = /<\/?[A-Za-z][A-Za-z0-9]*(?:\s[^<>]*)?\/?>/.exec(str);
    if (tag) {
      issues.push(
        validationIssue(
          'value',
          `The markdown contains what looks like an embedded HTML tag (${tag[0]}); markdown is shown as text, so it will be escaped`,
          path,
          'warning',
        ),
      );
    }
  }
}

const MAX_STRING_LENGTH = 1024 * 1024;
const STRING_TYPES = new Set(['string', 'markdown']);

function checkNumber(n: number, type: string, path: string, issues: OperationOutcomeIssue[]): void {
  if (Number.isNaN(n) || !Number.isFinite(n)) {
    issues.push(validationIssue('value', 'Invalid numeric value', path));
  } else if (['integer', 'positiveInt', 'unsignedInt'].includes(type) && !Number.isInteger(n)) {
    issues.push(validationIssue('value', 'Expected number to be an integer', path));
  } else if (type === 'positiveInt' && n <= 0) {
    issues.push(validationIssue('value', 'Expected number to be positive', path));
  } else if (type === 'unsignedInt' && n < 0) {
    issues.push(validationIssue('value', 'Expected number to be non-negative', path));
  }
}

/** A primitive's value and its `_` extension part (medplum boxes them together). */
function unpackPrimitiveElement(v: TypedValue): [TypedValue | undefined, TypedValue | undefined] {
  if (typeof v.value !== 'object' || !v.value) return [v, undefined];
  const primitiveValue: unknown = (v.value as { valueOf(): unknown }).valueOf();
  if (primitiveValue === v.value) return [undefined, { type: 'Element', value: v.value }];
  const primitiveKeys = new Set(Object.keys(primitiveValue as object));
  const extensionEntries = Object.entries(v.value as object).filter(([k]) => !primitiveKeys.has(k));
  const extensionElement = extensionEntries.length > 0 ? Object.fromEntries(extensionEntries) : undefined;
  return [
    { type: v.type, value: primitiveValue },
    { type: 'Element', value: extensionElement },
  ];
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'string' ? `the string '${value}'` : `a ${typeof value}`;
}
