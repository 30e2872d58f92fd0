/**
 * `npm run soak`: two app instances on one Redis, mixed traffic for about a minute, and a Redis
 * crash (SIGKILL) and restart in the middle. Redis runs with appendfsync always, so a write
 * the store acknowledged survives the crash: every acknowledged write must be there at the end.
 * Reports operations ok / failed / lost per kind; exits 1 if any acknowledged write was lost.
 *
 *   npm run soak                 # SOAK_SECONDS=50 by default
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { Redis } from 'ioredis';
import { startRedis, stopAll } from '../test/support/redis-servers.js';
import { traffic, type Report } from './soak.traffic.js';

const seconds = Number(process.env['SOAK_SECONDS'] ?? 50);

async function startApp(redisUrl: string): Promise<{ child: ChildProcess; base: string }> {
  const child = spawn(
    process.execPath,
    ['--import', './test/support/ts-register.mjs', 'soak/soak.app.ts'],
    { env: { ...process.env, REDIS_URL: redisUrl }, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  for await (const line of createInterface({ input: child.stdout })) {
    const port = /^ready (\d+)$/.exec(line)?.[1];
    if (port !== undefined) return { child, base: `http://127.0.0.1:${port}` };
  }
  throw new Error('a soak app exited before it listened');
}

const server = await startRedis({ args: ['--appendonly', 'yes', '--appendfsync', 'always'] });
const apps = await Promise.all([startApp(server.url), startApp(server.url)]);
console.log(
  `soak: ${seconds} s, 2 apps, Redis on port ${server.port}; crash at ${Math.round(seconds * 0.4)} s`,
);

const load = traffic(apps.map((a) => a.base));
await new Promise((resolve) => setTimeout(resolve, seconds * 400));
const crashedAt = Date.now();
await server.kill();
await new Promise((resolve) => setTimeout(resolve, 2000));
await server.restart();
const restartedAt = Date.now();
await new Promise((resolve) => setTimeout(resolve, seconds * 600 - 2000));
const report: Report = await load.stop();

const redis = new Redis(server.url);
let lost = 0;
for (const [key, value] of report.acknowledged) {
  if ((await redis.get(`soak:${key}`)) !== value) lost++;
}
await redis.quit();

console.log(
  `\nRedis was down for ${restartedAt - crashedAt} ms (SIGKILL, then a restart on the same port)`,
);
console.log('| operation | ok | failed | lost |\n| --- | ---: | ---: | ---: |');
for (const [kind, counts] of Object.entries(report.kinds)) {
  console.log(`| ${kind} | ${counts.ok} | ${counts.failed} | ${kind === 'write' ? lost : '-'} |`);
}
console.log(
  `failures ran from ${report.firstFailure ? report.firstFailure - crashedAt : '-'} to ` +
    `${report.lastFailure ? report.lastFailure - crashedAt : '-'} ms after the crash; ` +
    `${report.acknowledged.size} acknowledged writes checked, ${lost} lost`,
);

for (const { child } of apps) {
  child.kill('SIGTERM');
  await once(child, 'exit');
}
await stopAll();
process.exit(lost === 0 ? 0 : 1);
