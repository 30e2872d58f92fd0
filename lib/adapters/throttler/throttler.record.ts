import type { ThrottlerStorage } from '@nestjs/throttler';

/**
 * What `ThrottlerStorage.increment` resolves: `totalHits`, `timeToExpire` (s), `isBlocked`,
 * `timeToBlockExpire` (s). @nestjs/throttler does not export the type from its entry point.
 */
export type ThrottlerRecord = Awaited<ReturnType<ThrottlerStorage['increment']>>;
