import { Module } from '@nestjs/common';
import { LimitedController } from './limited.controller.js';
import { LoginController } from './login.controller.js';

/**
 * Rate-limited routes, and a login protected against brute force; RateLimitModule and the
 * global RateLimitGuard are in AppModule.
 */
@Module({ controllers: [LimitedController, LoginController] })
export class LimitedModule {}
