/**
 * @Cacheable on controller route handlers, over HTTP (supertest): the route, its pipes, guards,
 * headers, status code and custom metadata still apply, whether the route decorators sit above
 * or below @Cacheable, and the handler body runs once per key.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import {
  Controller,
  Get,
  Header,
  HttpCode,
  Injectable,
  Param,
  ParseIntPipe,
  Post,
  Query,
  SetMetadata,
  UseGuards,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import request from 'supertest';
import { Cacheable, CacheEvict } from '../../lib/index.js';
import { startRedis, stopAll, type RedisServer } from '../support/redis-servers.js';
import { BACKENDS, boot, closeApps, type Backend } from './cache.fixtures.js';

let server: RedisServer;
beforeAll(async () => {
  server = await startRedis();
}, 30_000);
afterEach(() => closeApps());
afterAll(() => stopAll(), 30_000);

const ROLES = 'roles';
const Roles = (...roles: string[]) => SetMetadata(ROLES, roles);

/** Lets a request through when its `x-role` header is one of the handler's roles. */
@Injectable()
class RolesGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    const roles = this.reflector.get<string[] | undefined>(ROLES, context.getHandler()) ?? [];
    const role = context.switchToHttp().getRequest<{ headers: Record<string, string> }>().headers[
      'x-role'
    ];
    return role !== undefined && roles.includes(role);
  }
}

@Controller('items')
class ItemsController {
  calls = 0;

  // @Cacheable applied last (written first): it copies the metadata the others put on the original.
  @Cacheable({ key: (id: number) => `item:${id}` })
  @Get(':id')
  @Header('X-Served-By', 'items')
  @UseGuards(RolesGuard)
  @Roles('reader')
  async find(@Param('id', ParseIntPipe) id: number): Promise<{ id: number; name: string }> {
    this.calls++;
    return { id, name: `item ${id}` };
  }

  // @Cacheable applied first (written last): the others decorate its forwarding function.
  @Get()
  @HttpCode(203)
  @Header('X-Served-By', 'search')
  @UseGuards(RolesGuard)
  @Roles('reader')
  @Cacheable({ key: (q: string) => `search:${q}` })
  async search(@Query('q') q: string): Promise<string[]> {
    this.calls++;
    return [`${q}-1`, `${q}-2`];
  }

  @Post(':id')
  @CacheEvict({ key: (id: string) => `item:${id}` })
  async update(@Param('id') id: string): Promise<{ updated: string }> {
    return { updated: id };
  }
}

describe.each(BACKENDS)('@Cacheable on a controller (%s)', (backend: Backend) => {
  it('serves the route from the cache with its pipe, guard, header and metadata intact', async () => {
    const { app, store } = await boot({
      backend,
      url: server.url,
      controllers: [ItemsController],
      providers: [RolesGuard],
    });
    const http = request(app.getHttpServer());
    const controller = app.get(ItemsController);

    for (let i = 0; i < 3; i++) {
      const res = await http.get('/items/7').set('x-role', 'reader').expect(200);
      expect(res.body).toEqual({ id: 7, name: 'item 7' });
      expect(res.headers['x-served-by']).toBe('items');
    }
    expect(controller.calls).toBe(1);
    expect(await store.has('cache:item:7')).toBe(true);

    await http.get('/items/7').expect(403);
    await http.get('/items/seven').set('x-role', 'reader').expect(400);
    expect(controller.calls).toBe(1);
  });

  it('keeps the status code and headers of route decorators written above @Cacheable', async () => {
    const { app } = await boot({
      backend,
      url: server.url,
      controllers: [ItemsController],
      providers: [RolesGuard],
    });
    const http = request(app.getHttpServer());
    for (let i = 0; i < 2; i++) {
      const res = await http.get('/items?q=lamp').set('x-role', 'reader').expect(203);
      expect(res.body).toEqual(['lamp-1', 'lamp-2']);
      expect(res.headers['x-served-by']).toBe('search');
    }
    await http.get('/items?q=lamp').set('x-role', 'guest').expect(403);
    expect(app.get(ItemsController).calls).toBe(1);
    expect(ItemsController.prototype.search.name).toBe('search');
  });

  it('evicts through a POST route so the next GET runs the handler again', async () => {
    const { app } = await boot({
      backend,
      url: server.url,
      controllers: [ItemsController],
      providers: [RolesGuard],
    });
    const http = request(app.getHttpServer());
    await http.get('/items/1').set('x-role', 'reader').expect(200);
    await http.post('/items/1').expect(201, { updated: '1' });
    await http.get('/items/1').set('x-role', 'reader').expect(200);
    expect(app.get(ItemsController).calls).toBe(2);
  });
});
