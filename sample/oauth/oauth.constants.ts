/** Token of the URL browsers reach the sample at (`http://localhost:3000`). */
export const PUBLIC_URL = 'OAUTH_PUBLIC_URL';

/** What the sample keeps with each OAuth state until the callback. */
export interface OAuthState {
  /** Where to send the user after logging in: a path of this app. */
  returnTo: string;
}
