import { BadRequestException, Catch, type ArgumentsHost } from '@nestjs/common';
import { BaseExceptionFilter } from '@nestjs/core';
import { KvsInvalidArgumentError } from '../../lib/index.js';

/**
 * Answers 400 with the store's message when a client's input (a key, a TTL, a flag value) is one
 * the store refuses. Use it on controllers whose routes pass request data to the store.
 */
@Catch(KvsInvalidArgumentError)
export class KvsArgumentFilter extends BaseExceptionFilter {
  override catch(error: KvsInvalidArgumentError, host: ArgumentsHost): void {
    super.catch(new BadRequestException(error.message), host);
  }
}
