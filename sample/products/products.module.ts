import { Module, type DynamicModule } from '@nestjs/common';
import { ProductsController } from './products.controller.js';
import { CATALOG_DELAY_MS, ProductsService } from './products.service.js';

/** A slow endpoint made fast by `@Cacheable`, and `@CacheEvict` on update. */
@Module({})
export class ProductsModule {
  /** `delayMs`: how long each catalog read takes. */
  static forRoot(options: { delayMs: number }): DynamicModule {
    return {
      module: ProductsModule,
      controllers: [ProductsController],
      providers: [ProductsService, { provide: CATALOG_DELAY_MS, useValue: options.delayMs }],
    };
  }
}
