/** The sample's flags with their defaults; FeatureFlags checks names and value types against them. */
export const SAMPLE_FLAGS = {
  /** Serve the one-page checkout instead of the classic four steps. */
  newCheckout: false,
  /** A banner shown at checkout; empty for none. */
  banner: '',
};

/** The flags' names and types. */
export type SampleFlags = typeof SAMPLE_FLAGS;

/** Whether `name` is one of the sample's flags. */
export const isSampleFlag = (name: string): name is keyof SampleFlags =>
  Object.hasOwn(SAMPLE_FLAGS, name);
