export {
  createValidator,
  hasErrors,
  type ResourceValidator,
} from './validator';
export { loadConformanceResources } from './load-conformance-resources';
