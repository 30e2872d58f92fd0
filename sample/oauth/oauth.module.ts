import { Module, type DynamicModule } from '@nestjs/common';
import { provideOneTimeTokens } from '../../lib/index.js';
import { FakeProviderController } from './fake-provider.controller.js';
import { OAuthController } from './oauth.controller.js';
import { PUBLIC_URL, type OAuthState } from './oauth.constants.js';

/** OAuth `state` issued at login start and accepted exactly once at the callback. */
@Module({})
export class OAuthModule {
  /** `publicUrl`: where browsers reach the app, for the provider's redirect back. */
  static forRoot(options: { publicUrl: string }): DynamicModule {
    return {
      module: OAuthModule,
      controllers: [OAuthController, FakeProviderController],
      providers: [
        { provide: PUBLIC_URL, useValue: options.publicUrl },
        // readme: recipe-oauth-provider
        provideOneTimeTokens<OAuthState>({ prefix: 'oauth-state:', ttlMs: 10 * 60_000 }),
        // readme: end
      ],
    };
  }
}
