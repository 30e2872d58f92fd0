export { OneTimeTokens, type OneTimeTokensOptions } from './one-time-tokens.js';
export { provideOneTimeTokens } from './one-time-tokens.provider.js';
