import {
  Inject,
  Module,
  type DynamicModule,
  type MiddlewareConsumer,
  type NestModule,
} from '@nestjs/common';
import session from 'express-session';
import { KVS_STORE, type KvsStore } from '../../lib/index.js';
import { KvsSessionStore } from '../../lib/adapters/session/index.js';
import { AuthController } from './auth.controller.js';

const SESSION_SECRET = 'AUTH_SESSION_SECRET';

// readme: recipe-sessions
/** Sessions in the shared store: express-session with a KvsSessionStore, for the /auth routes. */
@Module({})
export class AuthModule implements NestModule {
  /** `secret`: what express-session signs its cookie with. */
  static forRoot(options: { secret: string }): DynamicModule {
    return {
      module: AuthModule,
      controllers: [AuthController],
      providers: [
        { provide: SESSION_SECRET, useValue: options.secret },
        {
          provide: KvsSessionStore,
          inject: [KVS_STORE],
          useFactory: (store: KvsStore) =>
            new KvsSessionStore(store, { userId: (session) => session.userId }),
        },
      ],
    };
  }

  constructor(
    private readonly sessions: KvsSessionStore,
    @Inject(SESSION_SECRET) private readonly secret: string,
  ) {}

  configure(consumer: MiddlewareConsumer): void {
    consumer
      .apply(
        session({
          store: this.sessions,
          secret: this.secret,
          resave: false, // the store's touch() keeps sessions alive
          saveUninitialized: false, // no session (and no store write) before login
          cookie: { maxAge: 60 * 60 * 1000, httpOnly: true, sameSite: 'lax' },
        }),
      )
      .forRoutes(AuthController); // or '{*path}' when every route reads the session
  }
}
// readme: end
