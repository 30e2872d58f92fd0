import {
  BadRequestException,
  Body,
  Controller,
  Get,
  HttpCode,
  Post,
  Req,
  UnauthorizedException,
} from '@nestjs/common';
import type { Request } from 'express';
import { KvsSessionStore } from '../../lib/adapters/session/index.js';

declare module 'express-session' {
  interface SessionData {
    userId: string;
  }
}

/** Log in, see who you are, log out here or on every device. Sessions live in the store. */
@Controller('auth')
export class AuthController {
  constructor(private readonly sessions: KvsSessionStore) {}

  /** Starts a session for `user` (a sample: no password). */
  @Post('login')
  async login(@Req() req: Request, @Body('user') user: unknown): Promise<{ user: string }> {
    if (typeof user !== 'string' || !/^[\w.@-]{1,64}$/.test(user))
      throw new BadRequestException('user must be 1-64 letters, digits or ._@-');
    await new Promise((done) => req.session.regenerate(done)); // a new ID at login
    req.session.userId = user;
    return { user };
  }

  @Get('whoami')
  whoami(@Req() req: Request): { user: string } {
    if (req.session.userId === undefined) throw new UnauthorizedException();
    return { user: req.session.userId };
  }

  @Post('logout')
  @HttpCode(204)
  async logout(@Req() req: Request): Promise<void> {
    await new Promise((done) => req.session.destroy(done));
  }

  /** Ends every session of the current user, on every device. */
  @Post('logout-everywhere')
  async logoutEverywhere(@Req() req: Request): Promise<{ destroyed: number }> {
    if (req.session.userId === undefined) throw new UnauthorizedException();
    return { destroyed: await this.sessions.destroyUserSessions(req.session.userId) };
  }
}
