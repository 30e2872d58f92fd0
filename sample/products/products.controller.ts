import {
  BadRequestException,
  Body,
  Controller,
  Get,
  Param,
  Put,
  Query,
  UseInterceptors,
} from '@nestjs/common';
import {
  Cacheable,
  CacheableMany,
  CacheEvict,
  KvsCache,
  type CacheableOptions,
  type KvsCacheStats,
} from '../../lib/index.js';
import { ProductIdsPipe } from './product-ids.pipe.js';
import { ProductNotFoundInterceptor } from './product-not-found.interceptor.js';
import { ProductsService, type Product } from './products.service.js';

// readme: recipe-products
/** The cache entry of one product, the same whether one product or a batch is read. */
const productEntry = {
  key: (id: string) => `product:${id}`,
  tags: (id: string) => [`product:${id}`], // dropped by PUT /products/:id
  resultTags: (p: Product | null) => (p ? [`category:${p.category}`] : []), // and by a discount
  ttl: (p: Product | null) => (p ? '30s' : '5s'), // an unknown id is asked again after 5 s
  grace: '10m', // kept 10 min past its ttl, to answer when the catalog fails
  softTimeout: '500ms', // with such an entry, the catalog gets 500 ms, then the entry answers
} satisfies CacheableOptions<[id: string], Product | null>;

/** Product reads cached in the shared store; an update drops every entry of the product. */
@Controller('products')
export class ProductsController {
  constructor(
    private readonly products: ProductsService,
    private readonly cache: KvsCache,
  ) {}

  /** How many reads reached the catalog (misses), and the cache's counters. Before `:id`. */
  @Get('stats')
  stats(): { catalogReads: number; cache: KvsCacheStats } {
    return { catalogReads: this.products.reads, cache: this.cache.stats() };
  }

  /** `?ids=1,3`: one catalog read for the ids not cached; null for an unknown id. */
  @Get()
  @CacheableMany(productEntry)
  async findMany(@Query('ids', ProductIdsPipe) ids: string[]): Promise<(Product | null)[]> {
    return this.products.findMany(ids);
  }

  /** Slow on a miss (the catalog takes ~300 ms), fast on a hit for the next 30 s. */
  @Get(':id')
  @UseInterceptors(ProductNotFoundInterceptor) // null (not in the catalog): 404
  @Cacheable(productEntry)
  async find(@Param('id') id: string): Promise<Product | null> {
    return this.products.find(id);
  }

  /** Changes the price, then drops the entries tagged with the product. */
  @Put(':id')
  @CacheEvict({ tags: (id: string) => [`product:${id}`] })
  async update(@Param('id') id: string, @Body('priceCents') priceCents: unknown): Promise<Product> {
    if (typeof priceCents !== 'number' || !Number.isSafeInteger(priceCents) || priceCents < 0)
      throw new BadRequestException('priceCents must be a whole number >= 0');
    return this.products.setPrice(id, priceCents);
  }
}
// readme: end
