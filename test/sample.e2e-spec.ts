import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { AppModule } from '../sample/app.module.js';

describe('sample app (memory backend)', () => {
  let app: INestApplication;
  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
    app = moduleRef.createNestApplication();
    await app.init();
  });
  afterAll(async () => {
    await app.close();
  });

  it('stores, reads, lists and deletes keys over HTTP', async () => {
    const http = request(app.getHttpServer());
    await http.put('/keys/greeting').send({ value: 'hello', ttlMs: 60_000 }).expect(204);
    const read = await http.get('/keys/greeting').expect(200);
    expect(read.body).toMatchObject({ key: 'greeting', value: 'hello' });
    expect((read.body as { ttlMs: number }).ttlMs).toBeGreaterThan(50_000);
    await http.get('/keys?prefix=gr').expect(200, { keys: ['greeting'] });
    await http.delete('/keys/greeting').expect(204);
    await http.get('/keys/greeting').expect(404);
  });
});
