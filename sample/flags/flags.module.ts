import { Module, type DynamicModule } from '@nestjs/common';
import { provideFeatureFlags } from '../../lib/index.js';
import { CheckoutController } from './checkout.controller.js';
import { FlagsAdminController } from './flags-admin.controller.js';
import { SAMPLE_FLAGS } from './sample.flags.js';

// readme: recipe-flags-module
/** Feature flags in the shared store, read through a short local cache, flipped at runtime. */
@Module({})
export class FlagsModule {
  /** `refreshMs`: how long this instance reuses a flag value before reading the store again. */
  static forRoot(options: { refreshMs: number }): DynamicModule {
    return {
      module: FlagsModule,
      controllers: [CheckoutController, FlagsAdminController],
      providers: [provideFeatureFlags({ defaults: SAMPLE_FLAGS, refreshMs: options.refreshMs })],
    };
  }
}
// readme: end
