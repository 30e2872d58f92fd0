import { Controller, Get } from '@nestjs/common';
import { FeatureFlags } from '../../lib/index.js';
import type { SampleFlags } from './sample.flags.js';

/** What GET /checkout answers. */
export interface CheckoutPage {
  flow: 'classic' | 'one-page';
  steps: string[];
  banner: string;
}

// readme: recipe-checkout
/** The checkout page, whose flow a feature flag picks. */
@Controller('checkout')
export class CheckoutController {
  constructor(private readonly flags: FeatureFlags<SampleFlags>) {}

  /** The flow the `newCheckout` flag selects; a flip shows here within `refreshMs`, no restart. */
  @Get()
  async page(): Promise<CheckoutPage> {
    const banner = await this.flags.get('banner');
    return (await this.flags.isEnabled('newCheckout'))
      ? { flow: 'one-page', steps: ['review and pay'], banner }
      : { flow: 'classic', steps: ['cart', 'address', 'payment', 'review'], banner };
  }
}
// readme: end
