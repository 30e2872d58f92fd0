import { Controller, Get } from '@nestjs/common';
import { RateLimit } from '../../lib/index.js';

// readme: recipe-limited
/** Each client may call this 5 times in any 10 s (a sliding window), then gets 429. */
@Controller('limited')
export class LimitedController {
  @Get()
  @RateLimit({ limit: 5, window: 10_000 })
  get(): { ok: true } {
    return { ok: true };
  }
}
// readme: end
