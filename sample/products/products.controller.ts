import { BadRequestException, Body, Controller, Get, Param, Put } from '@nestjs/common';
import { Cacheable, CacheEvict, KvsCache, type KvsCacheStats } from '../../lib/index.js';
import { ProductsService, type Product } from './products.service.js';

// readme: recipe-products
/** Product reads cached for 30 s in the shared store; an update evicts the product. */
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

  /** Slow on a miss (the catalog takes ~300 ms), fast on a hit for the next 30 s. */
  @Get(':id')
  @Cacheable({ key: (id: string) => `product:${id}`, ttl: 30_000 })
  async find(@Param('id') id: string): Promise<Product> {
    return this.products.find(id);
  }

  /** Changes the price, then evicts the cached product, so the next read sees the change. */
  @Put(':id')
  @CacheEvict({ key: (id: string) => `product:${id}` })
  async update(@Param('id') id: string, @Body('priceCents') priceCents: unknown): Promise<Product> {
    if (typeof priceCents !== 'number' || !Number.isSafeInteger(priceCents) || priceCents < 0)
      throw new BadRequestException('priceCents must be a whole number >= 0');
    return this.products.setPrice(id, priceCents);
  }
}
// readme: end
