import { Inject, Injectable, NotFoundException } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';

/** Token of the catalog's delay per read, in ms. */
export const CATALOG_DELAY_MS = 'CATALOG_DELAY_MS';

/** A product as the API returns it. */
export interface Product {
  id: string;
  name: string;
  priceCents: number;
}

/**
 * A deliberately slow product catalog, standing in for a database or a remote API: every read
 * takes `CATALOG_DELAY_MS` and is counted, so the effect of the cache can be seen and tested.
 */
@Injectable()
export class ProductsService {
  /** How many reads reached the catalog (cache misses). */
  reads = 0;
  readonly #products = new Map<string, Product>([
    ['1', { id: '1', name: 'Espresso cup', priceCents: 1200 }],
    ['2', { id: '2', name: 'Pour-over kettle', priceCents: 4900 }],
    ['3', { id: '3', name: 'Burr grinder', priceCents: 12900 }],
  ]);

  constructor(@Inject(CATALOG_DELAY_MS) private readonly delayMs: number) {}

  /** The product, after the catalog's delay; 404 when there is none. */
  async find(id: string): Promise<Product> {
    this.reads++;
    await sleep(this.delayMs);
    const product = this.#products.get(id);
    if (product === undefined) throw new NotFoundException(`No product ${JSON.stringify(id)}`);
    return { ...product };
  }

  /** Changes a product's price. */
  async setPrice(id: string, priceCents: number): Promise<Product> {
    const product = this.#products.get(id);
    if (product === undefined) throw new NotFoundException(`No product ${JSON.stringify(id)}`);
    product.priceCents = priceCents;
    return { ...product };
  }
}
