import { BadRequestException, Body, Controller, HttpCode, Param, Post } from '@nestjs/common';
import { CacheEvict } from '../../lib/index.js';
import { ProductsService, type Product } from './products.service.js';

// readme: recipe-categories
/** A whole number from 1 to 90. */
const isPercent = (n: unknown): n is number =>
  typeof n === 'number' && Number.isInteger(n) && n >= 1 && n <= 90;

/** Changes to a whole category of products. */
@Controller('categories')
export class CategoriesController {
  constructor(private readonly products: ProductsService) {}

  /** Lowers every price of the category, then drops each cached entry of its products at once. */
  @Post(':name/discount')
  @HttpCode(200)
  @CacheEvict({ tags: (name: string) => [`category:${name}`] })
  async discount(
    @Param('name') name: string,
    @Body('percent') percent: unknown,
  ): Promise<Product[]> {
    if (!isPercent(percent))
      throw new BadRequestException('percent must be a whole number from 1 to 90');
    return this.products.discount(name, percent);
  }
}
// readme: end
