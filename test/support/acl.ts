import type { RedisServer } from './redis-servers.js';

/**
 * Creates (or replaces) an ACL user on `server` that may run everything but `denied` (e.g.
 * 'client|tracking'), and returns a URL that logs in as it.
 */
export async function urlOfUserWithout(
  server: RedisServer,
  user: string,
  denied: string,
): Promise<string> {
  const password = `${user}-pw`;
  await server.cli('ACL', 'SETUSER', user, 'on', `>${password}`, '~*', '&*', '+@all', `-${denied}`);
  const url = new URL(server.url);
  url.username = user;
  url.password = password;
  return url.toString();
}
