import { Module } from '@nestjs/common';
import { KeysController } from './keys.controller.js';

/** The injected store over HTTP: CRUD on keys and listing by prefix. */
@Module({ controllers: [KeysController] })
export class KeysModule {}
