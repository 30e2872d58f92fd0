import { Inject, Injectable, NotFoundException, ServiceUnavailableException } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';

/** Token of the catalog's delay per read, in ms. */
export const CATALOG_DELAY_MS = 'CATALOG_DELAY_MS';

/** During an outage, a read hangs this many times the usual delay, then fails. */
export const OUTAGE_SLOWDOWN = 10;

/** A product as the API returns it. */
export interface Product {
  id: string;
  name: string;
  category: string;
  priceCents: number;
}

/**
 * A deliberately slow product catalog, standing in for a database or a remote API: every read
 * takes `CATALOG_DELAY_MS` and is recorded, so the effect of the cache can be seen and tested.
 * It can be switched into an outage, where reads hang, then fail with a 503.
 */
@Injectable()
export class ProductsService {
  /** The ids of each read that reached the catalog (cache misses), oldest first. */
  readonly queries: string[][] = [];
  /** Whether the catalog is down (see `toggleOutage`). */
  outage = false;
  readonly #products = new Map<string, Product>([
    ['1', { id: '1', name: 'Espresso cup', category: 'cups', priceCents: 1200 }],
    ['2', { id: '2', name: 'Pour-over kettle', category: 'brewing', priceCents: 4900 }],
    ['3', { id: '3', name: 'Burr grinder', category: 'brewing', priceCents: 12900 }],
  ]);

  constructor(@Inject(CATALOG_DELAY_MS) private readonly delayMs: number) {}

  /** How many reads reached the catalog. */
  get reads(): number {
    return this.queries.length;
  }

  /** The product, after the catalog's delay; `null` when there is none. */
  async find(id: string): Promise<Product | null> {
    return (await this.findMany([id]))[0] ?? null;
  }

  /** The products of `ids` in one read, in their order; `null` for an id without a product. */
  async findMany(ids: readonly string[]): Promise<(Product | null)[]> {
    this.queries.push([...ids]);
    const down = this.outage;
    await sleep(down ? this.delayMs * OUTAGE_SLOWDOWN : this.delayMs);
    if (down) throw new ServiceUnavailableException('The catalog is unavailable.');
    return ids.map((id) => {
      const product = this.#products.get(id);
      return product === undefined ? null : { ...product };
    });
  }

  /** Changes a product's price. */
  async setPrice(id: string, priceCents: number): Promise<Product> {
    this.#checkUp();
    const product = this.#products.get(id);
    if (product === undefined) throw new NotFoundException(`No product ${JSON.stringify(id)}`);
    product.priceCents = priceCents;
    return { ...product };
  }

  /** Lowers the price of every product of `category` by `percent`, rounded to the cent. */
  async discount(category: string, percent: number): Promise<Product[]> {
    this.#checkUp();
    const products = [...this.#products.values()].filter((p) => p.category === category);
    if (products.length === 0) {
      throw new NotFoundException(`No product in the category ${JSON.stringify(category)}`);
    }
    for (const product of products) {
      product.priceCents = Math.round((product.priceCents * (100 - percent)) / 100);
    }
    return products.map((product) => ({ ...product }));
  }

  /** Starts or ends an outage; returns whether the catalog is now down. */
  toggleOutage(): boolean {
    this.outage = !this.outage;
    return this.outage;
  }

  #checkUp(): void {
    if (this.outage) throw new ServiceUnavailableException('The catalog is unavailable.');
  }
}
