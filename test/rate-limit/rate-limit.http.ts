/** Boots a Nest app on Express or Fastify for the rate-limit e2e tests, and closes them after each test. */
import { afterEach } from '@jest/globals';
import type { INestApplication, ModuleMetadata } from '@nestjs/common';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { T0 } from './rate-limit.timeline.js';

export type Platform = 'express' | 'fastify';
export const PLATFORMS: Platform[] = ['express', 'fastify'];

const open: INestApplication[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((app) => app.close()));
});

/** A clock the test moves; starts at a time aligned to every window. */
export const clock = { now: T0, read: (): number => clock.now };
afterEach(() => {
  clock.now = T0;
});

export interface BootOptions {
  /** Trust proxy headers from loopback (Express `trust proxy`, Fastify `trustProxy`). */
  trustProxy?: boolean;
}

/** Compiles `metadata` into an app on `platform`, initialises it, and returns a supertest agent. */
export async function boot(
  platform: Platform,
  metadata: ModuleMetadata,
  options: BootOptions = {},
) {
  const moduleRef = await Test.createTestingModule(metadata).compile();
  let app: INestApplication;
  if (platform === 'fastify') {
    const fastify = moduleRef.createNestApplication<NestFastifyApplication>(
      new FastifyAdapter(options.trustProxy === true ? { trustProxy: '127.0.0.1' } : {}),
      { logger: false },
    );
    open.push(fastify);
    await fastify.init();
    await fastify.getHttpAdapter().getInstance().ready();
    app = fastify;
  } else {
    const express = moduleRef.createNestApplication<NestExpressApplication>({ logger: false });
    if (options.trustProxy === true) express.set('trust proxy', 'loopback');
    open.push(express);
    await express.init();
    app = express;
  }
  return { app, http: () => request(app.getHttpServer()) };
}
