/**
 * What every part of the harness shares: where the binaries are, the loopback host, the temp-dir
 * prefix, and small helpers (sleep, error text, a child environment without NODE_OPTIONS).
 */

export const REDIS_SERVER_BIN = process.env['REDIS_SERVER_BIN'] ?? '/usr/bin/redis-server';
export const REDIS_CLI_BIN = process.env['REDIS_CLI_BIN'] ?? '/usr/bin/redis-cli';
export const HOST = '127.0.0.1';
export const TMP_PREFIX = 'nestjs-kvs-';
export const LOG_TAIL_BYTES = 16 * 1024;
export const DEFAULT_START_TIMEOUT_MS = 10_000;
export const POLL_INTERVAL_MS = 50;

export interface HostPort {
  host: string;
  port: number;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

export function unrefHandle(h: unknown): void {
  if (typeof h === 'object' && h !== null && 'unref' in h) {
    const fn = h.unref;
    if (typeof fn === 'function') fn.call(h);
  }
}

export function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env['NODE_OPTIONS'];
  return env;
}
