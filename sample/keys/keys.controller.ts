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
} from '@nestjs/common';
import { InjectKvs, isKvsError, type KvsStore } from '../../lib/index.js';

interface PutValue {
  value: string;
  ttlMs?: number;
}

/** The injected store over HTTP: CRUD on keys and listing by prefix. */
@Controller('keys')
export class KeysController {
  constructor(@InjectKvs() private readonly store: KvsStore) {}

  @Get()
  async list(@Query('prefix') prefix = ''): Promise<{ keys: string[] }> {
    return { keys: await this.store.list(prefix) };
  }

  @Get(':key')
  async get(
    @Param('key') key: string,
  ): Promise<{ key: string; value: string; ttlMs: number | null }> {
    try {
      const value = await this.store.get(key);
      const ttl = await this.store.ttl(key);
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
    await this.store.set(key, Buffer.from(String(body.value), 'utf8'), body.ttlMs);
  }

  @Delete(':key')
  @HttpCode(204)
  async remove(@Param('key') key: string): Promise<void> {
    await this.store.delete(key);
  }
}
