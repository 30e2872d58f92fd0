/**
 * One app instance of the soak run: a Nest app on Redis with store, cache and rate-limit routes.
 * Started by soak.ts as a child process; prints "ready <port>" when it listens.
 */
import 'reflect-metadata';
import {
  Body,
  Controller,
  Get,
  HttpCode,
  Module,
  NotFoundException,
  Param,
  Put,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { InjectKvs, KvsModule, type KvsStore } from '../lib/index.js';

@Controller('kv')
class KvController {
  constructor(@InjectKvs() private readonly store: KvsStore) {}

  @Put(':key')
  @HttpCode(204)
  async put(@Param('key') key: string, @Body() body: { value: string }): Promise<void> {
    await this.store.set(key, Buffer.from(body.value));
  }

  @Get(':key')
  async get(@Param('key') key: string): Promise<{ value: string }> {
    const value = await this.store.tryGet(key);
    if (value === undefined) throw new NotFoundException();
    return { value: value.toString() };
  }
}

@Module({
  imports: [
    KvsModule.forRoot({
      type: 'redis',
      url: process.env['REDIS_URL']!,
      keyPrefix: 'soak:',
      commandTimeout: 500,
    }),
  ],
  controllers: [KvController],
})
class SoakModule {}

// Warnings only: KvsModule's throttled connection lines, not a stack trace per failed request.
const app = await NestFactory.create(SoakModule, { logger: ['warn'] });
app.enableShutdownHooks();
await app.listen(0, '127.0.0.1');
const { port } = (app.getHttpServer() as Server).address() as AddressInfo;
console.log(`ready ${port}`);
