import { Controller, HttpCode, Post } from '@nestjs/common';
import { ProductsService } from './products.service.js';

/** Switches the catalog into an outage and back, to see graced entries answer. */
@Controller('catalog')
export class CatalogController {
  constructor(private readonly products: ProductsService) {}

  /** Toggles the outage: catalog reads then hang 10 times as long and fail with a 503. */
  @Post('outage')
  @HttpCode(200)
  outage(): { outage: boolean } {
    return { outage: this.products.toggleOutage() };
  }
}
