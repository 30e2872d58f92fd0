import { Module } from '@nestjs/common';
import { LimitedController } from './limited.controller.js';

/** A rate-limited route; RateLimitModule and the global RateLimitGuard are in AppModule. */
@Module({ controllers: [LimitedController] })
export class LimitedModule {}
