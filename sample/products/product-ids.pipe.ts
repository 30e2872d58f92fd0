import { BadRequestException, Injectable, type PipeTransform } from '@nestjs/common';

/** The most ids one batch read takes. */
export const MAX_PRODUCT_IDS = 100;

const ID = /^[\w-]{1,64}$/;

/** Reads `?ids=1,3` as `['1', '3']`: 1 to 100 ids of letters, digits, `_` or `-`. */
@Injectable()
export class ProductIdsPipe implements PipeTransform<unknown, string[]> {
  transform(value: unknown): string[] {
    const ids = typeof value === 'string' ? value.split(',').map((id) => id.trim()) : [];
    if (ids.length === 0 || ids.length > MAX_PRODUCT_IDS || !ids.every((id) => ID.test(id))) {
      throw new BadRequestException(
        `ids must be 1 to ${MAX_PRODUCT_IDS} product ids separated by commas, such as ?ids=1,3`,
      );
    }
    return ids;
  }
}
