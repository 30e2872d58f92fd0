import { BadRequestException, Controller, Get, Inject, Query, Redirect } from '@nestjs/common';
import { OneTimeTokens } from '../../lib/index.js';
import { PUBLIC_URL, type OAuthState } from './oauth.constants.js';

/** A path of this app (`/cart`), never another site (`//evil.example`). */
const isLocalPath = (path: unknown): path is string =>
  typeof path === 'string' && /^\/(?![/\\])/.test(path);

// readme: recipe-oauth
/** An OAuth login: a state issued at the start, accepted once at the callback. */
@Controller('oauth')
export class OAuthController {
  constructor(
    private readonly states: OneTimeTokens<OAuthState>,
    @Inject(PUBLIC_URL) private readonly publicUrl: string,
  ) {}

  /** Issues a state (valid 10 minutes) and sends the browser to the provider's login page. */
  @Get('start')
  @Redirect()
  async start(@Query('returnTo') returnTo: unknown = '/'): Promise<{ url: string }> {
    if (!isLocalPath(returnTo)) throw new BadRequestException('returnTo must be a path like /cart');
    const state = await this.states.issue({ returnTo });
    const url = new URL('/fake-provider/authorize', this.publicUrl);
    url.search = new URLSearchParams({
      client_id: 'nestjs-kvs-sample',
      redirect_uri: `${this.publicUrl}/oauth/callback`,
      state,
    }).toString();
    return { url: url.href };
  }

  /** Accepts each state exactly once: a replayed, forged or expired one gets 400. */
  @Get('callback')
  async callback(
    @Query('state') state: unknown,
    @Query('code') code: unknown,
  ): Promise<{ loggedIn: true; returnTo: string }> {
    const saved = typeof state === 'string' ? await this.states.consume(state) : undefined;
    if (saved === undefined) throw new BadRequestException('Unknown, expired or used OAuth state');
    if (typeof code !== 'string') throw new BadRequestException('No authorization code');
    // A real app now exchanges `code` for tokens at the provider, then starts a session.
    return { loggedIn: true, returnTo: saved.returnTo };
  }
}
// readme: end
