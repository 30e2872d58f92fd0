import { createHash, timingSafeEqual } from 'node:crypto';
import {
  Body,
  Controller,
  HttpCode,
  Post,
  Req,
  UnauthorizedException,
  type ExecutionContext,
} from '@nestjs/common';
import type { Request } from 'express';
import { RateLimit, RateLimiter, type RateLimitPolicy } from '../../lib/index.js';

/** The sample's one account (a real app checks a password hash from its user store). */
const ACCOUNTS: Record<string, string> = { ann: 'correct horse battery staple' };

// readme: recipe-login
/** Who an attempt is about: `{login:<ip>}:user:<name>`; the IP is the hash tag both keys share. */
const byIp = (req: Request): string => `{login:${req.ip ?? 'unknown'}}`;
const byUser = (req: Request): string => {
  const user: unknown = (req.body as { user?: unknown } | undefined)?.user;
  return `${byIp(req)}:user:${typeof user === 'string' ? user.toLowerCase() : ''}`;
};
const request = (ctx: ExecutionContext) => ctx.switchToHttp().getRequest<Request>();

/** 5 failed logins for one username from one IP in 15 min: that pair is locked out for 15 min. */
export const USER_FAILURES: RateLimitPolicy = {
  name: 'login-user',
  limit: 5,
  window: '15m',
  count: 'failures', // a 401 counts; a success is given back
  block: '15m',
  key: (ctx) => byUser(request(ctx)),
};
/** 50 failed logins from one IP in 15 min, whatever the usernames (credential stuffing). */
export const IP_FAILURES: RateLimitPolicy = {
  name: 'login-ip',
  limit: 50,
  window: '15m',
  count: 'failures',
  block: '1h',
  key: (ctx) => byIp(request(ctx)),
};

@Controller('login')
export class LoginController {
  constructor(private readonly limiter: RateLimiter) {}

  @Post()
  @HttpCode(200)
  @RateLimit([USER_FAILURES, IP_FAILURES], { onStoreError: 'deny' }) // no store: no guessing
  async login(
    @Req() req: Request,
    @Body() body: { user?: unknown; password?: unknown },
  ): Promise<{ user: string }> {
    const user = typeof body.user === 'string' ? body.user.toLowerCase() : '';
    if (!passwordMatches(user, body.password)) {
      throw new UnauthorizedException('Wrong username or password.');
    }
    await this.limiter.reset(byUser(req), USER_FAILURES); // a success starts this pair afresh
    return { user };
  }
}
// readme: end

/** Compares in constant time (over hashes, so lengths do not show). */
function passwordMatches(user: string, password: unknown): boolean {
  const expected = ACCOUNTS[user];
  if (expected === undefined || typeof password !== 'string') return false;
  const hash = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(hash(expected), hash(password));
}
