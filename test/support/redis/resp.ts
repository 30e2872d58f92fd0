/**
 * A deliberately tiny RESP2 client used only by the test harness to talk to
 * the redis-server / sentinel processes it starts (readiness probes, admin
 * commands).  One short-lived connection per call: open, optionally AUTH,
 * pipeline the commands, read one reply per command, close.
 *
 * It is NOT the client under test (that is ioredis via the library); keeping
 * it independent means a bug in the library can never make the harness lie.
 */
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';

/** An error reply (`-ERR ...`) from the server. */
export class RespError extends Error {
  override readonly name = 'RespError';
}

export type RespValue = string | number | null | RespError | RespValue[];

export interface RespTls {
  ca: string;
  cert?: string;
  key?: string;
}

export interface RespTarget {
  host: string;
  port: number;
  /** Connect over this unix socket instead of TCP. */
  path?: string;
  tls?: RespTls;
}

export interface RespAuth {
  username?: string;
  password: string;
}

export interface RespOptions {
  /** Overall deadline for connect + all replies. Default 5000 ms. */
  timeoutMs?: number;
  auth?: RespAuth;
}

/** Parse one reply starting at `pos`; undefined if more bytes are needed. */
function parseReply(buf: Buffer, pos: number): [RespValue, number] | undefined {
  const eol = buf.indexOf('\r\n', pos);
  if (eol < 0) return undefined;
  const type = String.fromCharCode(buf[pos] ?? 0);
  const line = buf.toString('utf8', pos + 1, eol);
  const next = eol + 2;
  switch (type) {
    case '+':
      return [line, next];
    case '-':
      return [new RespError(line), next];
    case ':':
      return [Number(line), next];
    case '$': {
      const len = Number(line);
      if (len < 0) return [null, next];
      if (buf.length < next + len + 2) return undefined;
      return [buf.toString('utf8', next, next + len), next + len + 2];
    }
    case '*': {
      const count = Number(line);
      if (count < 0) return [null, next];
      const items: RespValue[] = [];
      let at = next;
      for (let i = 0; i < count; i++) {
        const parsed = parseReply(buf, at);
        if (parsed === undefined) return undefined;
        items.push(parsed[0]);
        at = parsed[1];
      }
      return [items, at];
    }
    default:
      throw new Error(`RESP protocol error: unexpected type byte ${JSON.stringify(type)}`);
  }
}

function encode(args: readonly string[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const a of args) {
    const b = Buffer.from(a, 'utf8');
    parts.push(Buffer.from(`$${b.length}\r\n`), b, Buffer.from('\r\n'));
  }
  return Buffer.concat(parts);
}

function openSocket(target: RespTarget): Socket {
  if (target.path !== undefined) return netConnect({ path: target.path });
  if (target.tls !== undefined) {
    return tlsConnect({
      host: target.host,
      port: target.port,
      ca: target.tls.ca,
      cert: target.tls.cert,
      key: target.tls.key,
    });
  }
  return netConnect({ host: target.host, port: target.port });
}

/**
 * Send `commands` (pipelined) and resolve with one reply per command.
 * Error replies are returned as RespError values, not thrown; transport
 * failures (connect refused, timeout, early close) reject.
 */
export function respCommands(
  target: RespTarget,
  commands: readonly (readonly string[])[],
  options: RespOptions = {},
): Promise<RespValue[]> {
  const timeoutMs = options.timeoutMs ?? 5000;
  const all: (readonly string[])[] = [];
  if (options.auth !== undefined) {
    all.push(
      options.auth.username !== undefined
        ? ['AUTH', options.auth.username, options.auth.password]
        : ['AUTH', options.auth.password],
    );
  }
  all.push(...commands);
  const skip = options.auth !== undefined ? 1 : 0;

  return new Promise<RespValue[]>((resolve, reject) => {
    const socket = openSocket(target);
    const replies: RespValue[] = [];
    let buf: Buffer = Buffer.alloc(0);
    let settled = false;

    const finish = (err: Error | undefined): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.removeAllListeners('data');
      socket.destroy();
      if (err !== undefined) {
        reject(err);
        return;
      }
      const authReply = replies[0];
      if (skip === 1 && authReply instanceof RespError) {
        reject(new RespError(`AUTH failed: ${authReply.message}`));
        return;
      }
      resolve(replies.slice(skip));
    };

    const timer = setTimeout(() => {
      finish(
        new Error(
          `RESP command ${all.map((c) => c.join(' ')).join('; ')} to ${describe(target)} timed out after ${timeoutMs} ms`,
        ),
      );
    }, timeoutMs);

    socket.on('error', (err: Error) => finish(err));
    socket.on('close', () => {
      if (!settled)
        finish(new Error(`connection to ${describe(target)} closed before all replies arrived`));
    });
    socket.on('data', (chunk: Buffer) => {
      buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
      try {
        let pos = 0;
        while (pos < buf.length && replies.length < all.length) {
          const parsed = parseReply(buf, pos);
          if (parsed === undefined) break;
          replies.push(parsed[0]);
          pos = parsed[1];
        }
        buf = buf.subarray(pos);
      } catch (e) {
        finish(e instanceof Error ? e : new Error(String(e)));
        return;
      }
      if (replies.length >= all.length) finish(undefined);
    });
    socket.write(Buffer.concat(all.map(encode)));
  });
}

/** One command; error replies reject with RespError. */
export async function respCommand(
  target: RespTarget,
  args: readonly string[],
  options: RespOptions = {},
): Promise<RespValue> {
  const [reply] = await respCommands(target, [args], options);
  if (reply instanceof RespError) throw reply;
  return reply ?? null;
}

/** Render a reply roughly the way `redis-cli` does when not on a TTY. */
export function replyToText(value: RespValue): string {
  if (value === null) return '';
  if (value instanceof RespError) return value.message;
  if (Array.isArray(value)) return value.map(replyToText).join('\n');
  return String(value);
}

function describe(target: RespTarget): string {
  return target.path ?? `${target.host}:${target.port}`;
}
