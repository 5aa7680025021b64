export {
  createValidator,
  hasErrors,
  ENFORCED_PROFILES,
  type ResourceValidator,
  type ValidateOptions,
  type ValidatorConfig,
} from './validator';
export { loadConformanceResources } from './load-conformance-resources';
