export { FeatureFlags, type FeatureFlagsOptions, type FlagValue } from './feature-flags.js';
export { provideFeatureFlags } from './feature-flags.provider.js';
