import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  NotFoundException,
  Param,
  Put,
  Query,
  UseFilters,
} from '@nestjs/common';
import { InjectKvs, isKvsError, type KvsStore } from '../../lib/index.js';
import { KvsArgumentFilter } from '../common/kvs-argument.filter.js';

interface PutValue {
  value: string;
  ttlMs?: number;
}

/**
 * Keys written here live under `keys:` in the shared store, so this open demo route can neither
 * read nor overwrite sessions, flags or rate-limit counters kept in the same store.
 */
const NS = 'keys:';

/** The injected store over HTTP: CRUD on keys and listing by prefix. */
@Controller('keys')
@UseFilters(KvsArgumentFilter)
export class KeysController {
  constructor(@InjectKvs() private readonly store: KvsStore) {}

  @Get()
  async list(@Query('prefix') prefix = ''): Promise<{ keys: string[] }> {
    const keys = await this.store.list(NS + prefix);
    return { keys: keys.map((key) => key.slice(NS.length)) };
  }

  @Get(':key')
  async get(
    @Param('key') key: string,
  ): Promise<{ key: string; value: string; ttlMs: number | null }> {
    try {
      const value = await this.store.get(NS + key);
      const ttl = await this.store.ttl(NS + key);
      return {
        key,
        value: value.toString('utf8'),
        ttlMs: ttl === undefined || ttl === Infinity ? null : ttl,
      };
    } catch (err) {
      if (isKvsError(err, 'KVS_NOT_FOUND'))
        throw new NotFoundException(`No key ${JSON.stringify(key)}`);
      throw err;
    }
  }

  @Put(':key')
  @HttpCode(204)
  async put(@Param('key') key: string, @Body() body: PutValue): Promise<void> {
    await this.store.set(NS + key, Buffer.from(String(body.value), 'utf8'), body.ttlMs);
  }

  @Delete(':key')
  @HttpCode(204)
  async remove(@Param('key') key: string): Promise<void> {
    await this.store.delete(NS + key);
  }
}
