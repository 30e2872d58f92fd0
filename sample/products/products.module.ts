import { Module, type DynamicModule } from '@nestjs/common';
import { CatalogController } from './catalog.controller.js';
import { CategoriesController } from './categories.controller.js';
import { ProductsController } from './products.controller.js';
import { CATALOG_DELAY_MS, ProductsService } from './products.service.js';

/**
 * A slow catalog made fast by the cache: `@Cacheable` and `@CacheableMany` on one key per
 * product, tags evicted by updates, and graced entries that answer during a catalog outage.
 */
@Module({})
export class ProductsModule {
  /** `delayMs`: how long each catalog read takes. */
  static forRoot(options: { delayMs: number }): DynamicModule {
    return {
      module: ProductsModule,
      controllers: [ProductsController, CategoriesController, CatalogController],
      providers: [ProductsService, { provide: CATALOG_DELAY_MS, useValue: options.delayMs }],
    };
  }
}
