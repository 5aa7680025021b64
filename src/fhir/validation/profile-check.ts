import type {
  ElementDefinition,
  ElementDefinitionSlicingDiscriminator,
  OperationOutcomeIssue,
  StructureDefinition,
} from 'fhir/r4';
import { checkRequiredBinding } from './binding-check';
import { validationIssue } from './issues';
import {
  choiceSuffixType,
  deepEquals,
  findChoiceKey,
  isJsonObject,
  matchesPattern,
  type JsonObject,
} from './json-values';
import type { Terminology } from './terminology';
import { Invariant } from './invariants';
import { ID_CHARS } from '../resource-types';

/** `…/Type/id` or `…/Type/id/_history/v`: the type is the first group. */
const TYPED_REFERENCE = new RegExp(`(?:^|\\/)([A-Z][A-Za-z]+)\\/${ID_CHARS}(?:\\/_history\\/${ID_CHARS})?$`);

/**
 * A constraint profile compiled into checks, from its snapshot. Only what the profile adds to
 * its base is checked here (the base is checked separately): cardinality narrower than the
 * base, fixed[x] and pattern[x], type and reference-target restrictions, required bindings that
 * the base lacks, slices (count, and `closed` slicing), and invariants that the base lacks
 * (invariants.ts says which FHIRPath engines evaluate them).
 */
export interface CompiledProfile {
  url: string;
  name: string;
  /** The resource or datatype the profile constrains (`PlanDefinition`, `Extension`). */
  type: string;
  /** For extension definitions: the element paths the extension may be used on. */
  contexts: string[];
  /** Checks `root` (a resource, or an extension for an extension profile) found at `rootLocation`. */
  check(root: JsonObject, rootLocation: string, resource: JsonObject): OperationOutcomeIssue[];
}

export interface ProfileCompileContext {
  terminology: Terminology;
  /** Core element definitions by path, to tell what a profile changed. */
  baseElementsByPath: ReadonlyMap<string, ElementDefinition>;
  /** Resolves a targetProfile canonical to the resource type it profiles. */
  resourceTypeOfProfile(url: string): string | undefined;
}

interface Node {
  value: unknown;
  location: string;
  /** FHIR type of the value when known from a choice suffix. */
  type?: string;
}

type SlicePredicate = (item: unknown) => boolean;

interface Rule {
  element: ElementDefinition;
  /** Id segments after the root: `action`, `useContext:procedure`, `value[x]`. */
  segments: string[];
  check(nodes: Node[], parents: Node[], issues: OperationOutcomeIssue[], resource: JsonObject): void;
}

const HL7_SD = 'http://hl7.org/fhir/StructureDefinition/';

export function compileProfile(sd: StructureDefinition, context: ProfileCompileContext): CompiledProfile {
  const elements = sd.snapshot?.element;
  if (!sd.url || !sd.type || !elements?.length) {
    throw new Error(
      `StructureDefinition ${sd.url ?? sd.id}: a url, a type and a snapshot are needed to validate against it`,
    );
  }
  const name = sd.id ?? sd.name ?? sd.url;
  const byId = new Map(elements.map((e) => [e.id ?? e.path, e]));
  const slicePredicates = compileSlicePredicates(elements, byId, name);
  const rules: Rule[] = [];
  for (const element of elements) {
    rules.push(...compileRules(element, sd, byId, slicePredicates, context, name));
  }

  const navigate = (root: Node, segments: string[]): Node[] => {
    let nodes = [root];
    let idSoFar = sd.type as string;
    for (const segment of segments) {
      const [elementName, sliceName] = segment.split(':');
      const slicedId = `${idSoFar}.${elementName}`;
      idSoFar = `${idSoFar}.${segment}`;
      const next: Node[] = [];
      for (const node of nodes) next.push(...childrenOf(node, elementName));
      if (sliceName) {
        const predicate = slicePredicates.get(`${slicedId}:${sliceName}`);
        nodes = predicate ? next.filter((n) => predicate(n.value)) : [];
      } else {
        nodes = next;
      }
    }
    return nodes;
  };

  return {
    url: sd.url,
    name,
    type: sd.type,
    contexts: (sd.context ?? []).filter((c) => c.type === 'element').map((c) => c.expression),
    check(root, rootLocation, resource) {
      const issues: OperationOutcomeIssue[] = [];
      const rootNode: Node = { value: root, location: rootLocation };
      const found = new Map<string, Node[]>();
      const nodesAt = (segments: string[]): Node[] => {
        const key = segments.join('.');
        let nodes = found.get(key);
        if (!nodes) found.set(key, (nodes = navigate(rootNode, segments)));
        return nodes;
      };
      for (const rule of rules) {
        const parents = rule.segments.length ? nodesAt(rule.segments.slice(0, -1)) : [];
        rule.check(nodesAt(rule.segments), parents, issues, resource);
      }
      return issues;
    },
  };
}

/** The children of a node for one element name (`value[x]` finds `valueCoding`), arrays flattened with indices. */
function childrenOf(node: Node, elementName: string): Node[] {
  if (!isJsonObject(node.value)) return [];
  let key = elementName;
  let type: string | undefined;
  if (elementName.endsWith('[x]')) {
    const prefix = elementName.slice(0, -3);
    const found = findChoiceKey(node.value, prefix);
    if (!found) return [];
    key = found;
    type = choiceSuffixType(found, prefix);
  }
  const value = node.value[key];
  if (value === undefined || value === null) return [];
  if (Array.isArray(value))
    return value.map((item, i) => ({ value: item, location: `${node.location}.${key}[${i}]`, type }));
  return [{ value, location: `${node.location}.${key}`, type }];
}

function idSegments(element: ElementDefinition): string[] {
  return (element.id ?? element.path).split('.').slice(1);
}

function parseMax(max: string | undefined): number {
  return max === undefined || max === '*' ? Number.POSITIVE_INFINITY : Number.parseInt(max, 10);
}

function compileRules(
  element: ElementDefinition,
  sd: StructureDefinition,
  byId: Map<string, ElementDefinition>,
  slicePredicates: Map<string, SlicePredicate>,
  context: ProfileCompileContext,
  profileName: string,
): Rule[] {
  const rules: Rule[] = [];
  const segments = idSegments(element);
  const isRoot = segments.length === 0;
  const base = element.base ? context.baseElementsByPath.get(element.base.path) : undefined;
  const label = `Profile ${profileName}`;
  const where = element.id ?? element.path;

  // Cardinality narrower than the base (or any slice's cardinality, which the base cannot check).
  const baseMin = element.base?.min ?? 0;
  const baseMax = parseMax(element.base?.max);
  const min = element.min ?? 0;
  const max = parseMax(element.max);
  if (!isRoot && (min > baseMin || max < baseMax || element.sliceName)) {
    const name = segments[segments.length - 1].split(':')[0];
    rules.push({
      element,
      segments,
      check(nodes, parents, issues) {
        for (const parent of parents) {
          const count = nodes.filter((n) => n.location.startsWith(`${parent.location}.`)).length;
          const location = `${parent.location}.${name}`;
          const slice = element.sliceName ? ` (slice '${element.sliceName}')` : '';
          if (count < min) {
            issues.push(
              validationIssue(
                count === 0 ? 'required' : 'structure',
                `${label}: ${where}${slice} requires at least ${min} value${min === 1 ? '' : 's'}, found ${count}`,
                location,
              ),
            );
          } else if (count > max) {
            issues.push(
              validationIssue(
                'structure',
                `${label}: ${where}${slice} allows at most ${element.max} value${max === 1 ? '' : 's'}, found ${count}`,
                location,
              ),
            );
          }
        }
      },
    });
  }

  const record = element as unknown as Record<string, unknown>;
  for (const [key, expected] of Object.entries(record)) {
    const isFixed = key.startsWith('fixed');
    if (!isFixed && !key.startsWith('pattern')) continue;
    rules.push({
      element,
      segments,
      check(nodes, _parents, issues) {
        for (const node of nodes) {
          const ok = isFixed ? deepEquals(node.value, expected) : matchesPattern(node.value, expected);
          if (!ok) {
            issues.push(
              validationIssue(
                'value',
                `${label}: ${where} must ${isFixed ? 'be' : 'match'} ${JSON.stringify(expected)}, found ${JSON.stringify(node.value)}`,
                node.location,
              ),
            );
          }
        }
      },
    });
  }

  // Type restrictions: a choice narrowed to fewer types, or references narrowed to fewer targets.
  const allowedTypes = new Set((element.type ?? []).map((t) => t.code));
  const baseTypes = new Set((base?.type ?? []).map((t) => t.code));
  if (element.path.endsWith('[x]') && allowedTypes.size > 0 && allowedTypes.size < baseTypes.size) {
    rules.push({
      element,
      segments,
      check(nodes, _parents, issues) {
        for (const node of nodes) {
          if (node.type && !allowedTypes.has(node.type)) {
            issues.push(
              validationIssue(
                'structure',
                `${label}: ${where} must be of type ${[...allowedTypes].join(' or ')}, found ${node.type}`,
                node.location,
              ),
            );
          }
        }
      },
    });
  }
  const targets = referenceTargets(element, context);
  const baseTargets = base ? referenceTargets(base, context) : undefined;
  if (targets && (!baseTargets || targets.size < baseTargets.size)) {
    rules.push({
      element,
      segments,
      check(nodes, _parents, issues, resource) {
        for (const node of nodes) {
          const targetType = referencedType(node.value, resource);
          if (targetType && !targets.has(targetType)) {
            issues.push(
              validationIssue(
                'structure',
                `${label}: ${where} must refer to ${[...targets].join(' or ')}, found a ${targetType}`,
                node.location,
              ),
            );
          }
        }
      },
    });
  }

  // A required binding the base does not already enforce.
  const binding = element.binding;
  const baseBinding = base?.binding;
  if (
    binding?.strength === 'required' &&
    binding.valueSet &&
    !(
      baseBinding?.strength === 'required' &&
      baseBinding.valueSet?.split('|')[0] === binding.valueSet.split('|')[0]
    )
  ) {
    const valueSet = binding.valueSet;
    const declaredType = element.type?.length === 1 ? element.type[0].code : undefined;
    rules.push({
      element,
      segments,
      check(nodes, _parents, issues) {
        for (const node of nodes) {
          const type = node.type ?? declaredType;
          if (!type) continue;
          const issue = checkRequiredBinding(
            context.terminology,
            valueSet,
            type,
            node.value,
            node.location,
            label,
          );
          if (issue) issues.push(issue);
        }
      },
    });
  }

  // Invariants the base does not declare.
  const baseKeys = new Set(
    (isRoot ? baseRootConstraints(sd, context) : (base?.constraint ?? [])).map((c) => c.key),
  );
  for (const constraint of element.constraint ?? []) {
    if (baseKeys.has(constraint.key) || constraint.severity !== 'error' || !constraint.expression) continue;
    const modelPath = fhirpathBase(element, sd);
    const invariant = new Invariant(
      constraint.expression,
      modelPath.includes('.') ? undefined : modelPath,
      modelPath,
    );
    const text = `${label}: constraint ${constraint.key} not met: ${constraint.human} (${constraint.expression})`;
    rules.push({
      element,
      segments,
      check(nodes, _parents, issues, resource) {
        for (const node of nodes) {
          if (invariant.evaluate(node.value, resource, resource) === 'fail') {
            issues.push(validationIssue('invariant', text, node.location));
          }
        }
      },
    });
  }

  // Closed slicing: every item must belong to a slice.
  if (element.slicing?.rules === 'closed') {
    const prefix = `${element.id}:`;
    const slices = [...slicePredicates].filter(
      ([id]) => id.startsWith(prefix) && !id.slice(prefix.length).includes('.'),
    );
    rules.push({
      element,
      segments,
      check(nodes, _parents, issues) {
        for (const node of nodes) {
          if (slices.some(([, matches]) => matches(node.value))) continue;
          issues.push(
            validationIssue(
              'structure',
              `${label}: the slicing of ${where} is closed and this value matches none of its slices`,
              node.location,
            ),
          );
        }
      },
    });
  }
  return rules;
}

/** The FHIRPath type context of an element, so that choice elements resolve (`value` → `valueCoding`). */
function fhirpathBase(element: ElementDefinition, sd: StructureDefinition): string {
  if (!element.path.includes('.')) return sd.type ?? element.path;
  const types = element.type ?? [];
  if (types.length === 1 && types[0].code !== 'BackboneElement' && types[0].code !== 'Element')
    return types[0].code;
  return element.path;
}

function baseRootConstraints(
  sd: StructureDefinition,
  context: ProfileCompileContext,
): NonNullable<ElementDefinition['constraint']> {
  return context.baseElementsByPath.get(sd.type ?? '')?.constraint ?? [];
}

/** Resource types a Reference element may point to, or undefined when it is not a restricted Reference. */
function referenceTargets(
  element: ElementDefinition,
  context: ProfileCompileContext,
): Set<string> | undefined {
  const reference = element.type?.find((t) => t.code === 'Reference');
  if (!reference?.targetProfile?.length) return undefined;
  const types = new Set<string>();
  for (const profile of reference.targetProfile) {
    if (profile === `${HL7_SD}Resource`) return undefined;
    const type = profile.startsWith(HL7_SD)
      ? profile.slice(HL7_SD.length)
      : context.resourceTypeOfProfile(profile);
    if (!type) return undefined;
    types.add(type);
  }
  return types;
}

/** The resource type a Reference points to, read from its literal reference (or its contained target). */
function referencedType(value: unknown, resource: JsonObject): string | undefined {
  if (!isJsonObject(value)) return undefined;
  if (typeof value.reference !== 'string') return typeof value.type === 'string' ? value.type : undefined;
  const reference = value.reference;
  if (reference.startsWith('#')) {
    const contained = Array.isArray(resource.contained) ? resource.contained : [];
    const target = contained.find((c) => isJsonObject(c) && c.id === reference.slice(1));
    return isJsonObject(target) && typeof target.resourceType === 'string' ? target.resourceType : undefined;
  }
  if (reference.startsWith('urn:')) return typeof value.type === 'string' ? value.type : undefined;
  const match = TYPED_REFERENCE.exec(
    reference.split('?')[0],
  );
  return match?.[1];
}

/** Slice membership tests, by slice id (`PlanDefinition.useContext:procedure`), from the slicing discriminators. */
function compileSlicePredicates(
  elements: ElementDefinition[],
  byId: Map<string, ElementDefinition>,
  profileName: string,
): Map<string, SlicePredicate> {
  const predicates = new Map<string, SlicePredicate>();
  for (const slice of elements) {
    if (!slice.sliceName || !slice.id) continue;
    const slicedId = slice.id.slice(0, slice.id.length - slice.sliceName.length - 1);
    const sliced = byId.get(slicedId);
    const discriminators = sliced?.slicing?.discriminator ?? [];
    if (!discriminators.length) {
      throw new Error(
        `Profile ${profileName}: ${slice.id} is a slice of ${slicedId}, which has no discriminator`,
      );
    }
    const tests = discriminators.map((d) => compileDiscriminator(d, slice, byId, profileName));
    predicates.set(slice.id, (item) => tests.every((test) => test(item)));
  }
  return predicates;
}

function compileDiscriminator(
  discriminator: ElementDefinitionSlicingDiscriminator,
  slice: ElementDefinition,
  byId: Map<string, ElementDefinition>,
  profileName: string,
): SlicePredicate {
  if (discriminator.type !== 'value' && discriminator.type !== 'pattern') {
    throw new Error(
      `Profile ${profileName}: discriminator type '${discriminator.type}' on ${slice.id} is not supported`,
    );
  }
  const path = discriminator.path === '$this' ? [] : discriminator.path.split('.');
  const target = path.length ? byId.get(`${slice.id}.${path.join('.')}`) : slice;
  let expected = target ? fixedOrPattern(target) : undefined;
  if (expected === undefined && discriminator.path === 'url') {
    // Extension slices name their url through the extension definition they are typed with.
    expected = slice.type?.[0]?.profile?.[0];
  }
  if (expected === undefined) {
    throw new Error(
      `Profile ${profileName}: ${slice.id} has no fixed or pattern value at '${discriminator.path}'`,
    );
  }
  const value = expected;
  return (item) => {
    let current: unknown = item;
    for (const step of path) current = isJsonObject(current) ? current[step] : undefined;
    return discriminator.type === 'value'
      ? deepEquals(current, value) || matchesPattern(current, value)
      : matchesPattern(current, value);
  };
}

function fixedOrPattern(element: ElementDefinition): unknown {
  for (const [key, value] of Object.entries(element as unknown as Record<string, unknown>)) {
    if (key.startsWith('fixed') || key.startsWith('pattern')) return value;
  }
  return undefined;
}
