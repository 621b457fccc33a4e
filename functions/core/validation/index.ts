/**
 * The registration gate: checks a model file on its tier's runtime before anything is
 * written, and measures a new version's agreement with a baseline version.
 */
export {
  ModelValidator,
  type Baseline,
  type ModelValidatorOptions,
  type TierRuntime,
  type ValidatedModel,
} from './model-validator';
export { isClassifierLike, isComparable, OutputComparison } from './agreement';
export { describeNonOnnx } from './file-kind';
export { MAX_SAMPLE_ELEMENTS, describeFeeds, sampleFeeds, sampleShapes, type Feeds } from './sample-inputs';
