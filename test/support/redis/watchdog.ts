/**
 * Crash safety: a tiny watchdog process (one per test file, only while servers or temp dirs are
 * alive) SIGKILLs every child and removes the temp dirs when the Jest worker dies, even if it is
 * SIGKILLed.  A `process.on('exit')` hook is registered too, but inside Jest's sandbox `process`
 * is a copy, so it only helps outside Jest.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cleanEnv, TMP_PREFIX, unrefHandle } from './env.js';

const WATCHDOG_SOURCE = `
const fs = require('fs');
const pids = new Set(), dirs = new Set();
let buf = '';
process.on('SIGINT', () => {});
process.stdin.setEncoding('utf8');
process.stdin.on('data', (d) => {
  buf += d;
  let i;
  while ((i = buf.indexOf('\\n')) >= 0) {
    const line = buf.slice(0, i); buf = buf.slice(i + 1);
    const op = line.slice(0, 2), v = line.slice(2);
    if (op === 'p+') pids.add(v); else if (op === 'p-') pids.delete(v);
    else if (op === 'd+') dirs.add(v); else if (op === 'd-') dirs.delete(v);
  }
});
process.stdin.on('end', () => {
  for (const p of pids) { try { process.kill(Number(p), 'SIGKILL'); } catch {} }
  setTimeout(() => {
    for (const d of dirs) { try { fs.rmSync(d, { recursive: true, force: true }); } catch {} }
    process.exit(0);
  }, pids.size > 0 ? 200 : 0);
});
`;

let watchdog: ChildProcess | undefined;
const liveChildren = new Set<ChildProcess>();
const liveDirs = new Set<string>();

function watchdogSend(line: string): void {
  if (watchdog === undefined || watchdog.stdin === null || watchdog.stdin.destroyed) {
    const wd = spawn(process.execPath, ['-e', WATCHDOG_SOURCE], {
      stdio: ['pipe', 'ignore', 'ignore'],
      env: cleanEnv(),
    });
    wd.on('error', () => undefined);
    wd.stdin?.on('error', () => undefined);
    wd.unref();
    unrefHandle(wd.stdin);
    watchdog = wd;
    // re-register everything still alive
    for (const c of liveChildren) if (c.pid !== undefined) wd.stdin?.write(`p+${c.pid}\n`);
    for (const d of liveDirs) wd.stdin?.write(`d+${d}\n`);
  }
  watchdog.stdin?.write(`${line}\n`);
}

/** Ends the watchdog once nothing is left for it to clean up. */
export function releaseWatchdogIfIdle(): void {
  if (liveChildren.size === 0 && liveDirs.size === 0 && watchdog !== undefined) {
    watchdog.stdin?.end();
    watchdog = undefined;
  }
}

/** A freshly spawned child: killed by the watchdog if the worker dies. */
export function trackChild(child: ChildProcess): void {
  if (child.pid === undefined) return;
  liveChildren.add(child);
  watchdogSend(`p+${child.pid}`);
}

/** A child that has exited. */
export function untrackChild(child: ChildProcess): void {
  liveChildren.delete(child);
  if (child.pid !== undefined && watchdog !== undefined) watchdogSend(`p-${child.pid}`);
}

export function trackDir(dir: string): void {
  liveDirs.add(dir);
  watchdogSend(`d+${dir}`);
}

export function untrackDir(dir: string): void {
  liveDirs.delete(dir);
  if (watchdog !== undefined) watchdogSend(`d-${dir}`);
}

/** A new temp dir under os.tmpdir() (prefix `nestjs-kvs-`), removed by the watchdog if need be. */
export async function makeDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), TMP_PREFIX));
  trackDir(dir);
  return dir;
}

export async function removeDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true, maxRetries: 3 });
  untrackDir(dir);
  releaseWatchdogIfIdle();
}

process.on('exit', () => {
  for (const c of liveChildren) {
    try {
      c.kill('SIGKILL');
    } catch {
      /* best effort */
    }
  }
  for (const d of liveDirs) {
    try {
      rmSync(d, { recursive: true, force: true });
    } catch {
      /* best effort */
    }
  }
});
