import { Inject } from '@nestjs/common';
import { getKvsToken } from './kvs.constants.js';

/**
 * Injects the store registered under `name` (the default store when omitted), typed `KvsStore`:
 * `constructor(@InjectKvs('sessions') private readonly sessions: KvsStore) {}`.
 */
export const InjectKvs = (name?: string): PropertyDecorator & ParameterDecorator =>
  Inject(getKvsToken(name));
