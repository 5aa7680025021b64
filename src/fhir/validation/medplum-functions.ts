import * as core from '@medplum/core';

/**
 * The @medplum/core functions the validator calls for every element it walks, bound once.
 * The package's CommonJS build exports each function through a property getter, and a call
 * through the import runs that getter every time: 6% of a validation's CPU time
 * (bench/validate-micro.ts). These constants read each getter once, at start-up.
 */
export const deepEquals = core.deepEquals;
export const deepIncludes = core.deepIncludes;
export const evalFhirPathTyped = core.evalFhirPathTyped;
export const fhirTypeToJsType = core.fhirTypeToJsType;
export const getDataType = core.getDataType;
export const isEmpty = core.isEmpty;
export const isPrimitiveType = core.isPrimitiveType;
export const isReference = core.isReference;
export const isResource = core.isResource;
export const toTypedValue = core.toTypedValue;
export const tryGetDataType = core.tryGetDataType;
export const validationRegexes = core.validationRegexes;
