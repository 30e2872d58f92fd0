import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  NotFoundException,
  Param,
  Put,
  UseFilters,
} from '@nestjs/common';
import { FeatureFlags } from '../../lib/index.js';
import { KvsArgumentFilter } from '../common/kvs-argument.filter.js';
import { isSampleFlag, type SampleFlags } from './sample.flags.js';

/**
 * Flips flags at runtime, for every instance sharing the store. Open to anyone here, because it
 * is a sample: put it behind your admin authentication in an app.
 */
@Controller('admin/flags')
@UseFilters(KvsArgumentFilter) // a value of the wrong type: 400
export class FlagsAdminController {
  constructor(private readonly flags: FeatureFlags<SampleFlags>) {}

  /** Every flag's current value. */
  @Get()
  all(): Promise<SampleFlags> {
    return this.flags.all();
  }

  // readme: recipe-flag-admin
  /** Sets a flag, e.g. `{ "value": true }`. This instance sees it at once, others within refreshMs. */
  @Put(':name')
  async set(
    @Param('name') name: string,
    @Body('value') value: SampleFlags[keyof SampleFlags],
  ): Promise<{ name: string; value: unknown }> {
    if (!isSampleFlag(name)) throw new NotFoundException(`No flag ${JSON.stringify(name)}`);
    await this.flags.set(name, value); // rejects a value whose type differs from the default
    return { name, value };
  }
  // readme: end

  /** Returns a flag to its default. */
  @Delete(':name')
  @HttpCode(204)
  async reset(@Param('name') name: string): Promise<void> {
    if (!isSampleFlag(name)) throw new NotFoundException(`No flag ${JSON.stringify(name)}`);
    await this.flags.reset(name);
  }
}
