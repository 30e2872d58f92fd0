import { Module } from '@nestjs/common';
import { KvsModule, type KvsModuleOptions } from '../lib/index.js';
import { KeysController } from './keys/keys.controller.js';

/** Memory by default; `KVS_URL=redis://...` switches the sample to Redis. */
export function storeOptions(env: NodeJS.ProcessEnv = process.env): KvsModuleOptions {
  const url = env['KVS_URL'];
  return url ? { type: 'redis', url, keyPrefix: 'sample:' } : { type: 'memory' };
}

@Module({
  imports: [KvsModule.forRoot({ ...storeOptions(), isGlobal: true })],
  controllers: [KeysController],
})
export class AppModule {}
