import { randomBytes } from 'node:crypto';
import { BadRequestException, Controller, Get, Inject, Query, Redirect } from '@nestjs/common';
import { PUBLIC_URL } from './oauth.constants.js';

/**
 * Stands in for an OAuth provider's login page, so the flow runs without an account anywhere: it
 * "logs the user in" at once and sends the browser back to the sample's callback with a code.
 */
@Controller('fake-provider')
export class FakeProviderController {
  constructor(@Inject(PUBLIC_URL) private readonly publicUrl: string) {}

  @Get('authorize')
  @Redirect()
  authorize(
    @Query('redirect_uri') redirectUri: unknown,
    @Query('state') state: unknown,
  ): { url: string } {
    // A provider only redirects to the callback URLs registered for the client.
    if (redirectUri !== `${this.publicUrl}/oauth/callback`)
      throw new BadRequestException('redirect_uri is not registered for this client');
    if (typeof state !== 'string') throw new BadRequestException('No state');
    const url = new URL(redirectUri);
    url.searchParams.set('code', randomBytes(16).toString('base64url'));
    url.searchParams.set('state', state);
    return { url: url.href };
  }
}
