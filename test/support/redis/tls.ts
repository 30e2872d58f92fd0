/** TLS material for `startRedis({ tls })`: a throw-away CA and one certificate, made once per module instance with the openssl CLI. */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TMP_PREFIX } from './env.js';
import { removeDir, trackDir } from './watchdog.js';

export interface TlsMaterial {
  /** PEM contents; `cert`/`key` are valid both as server and as client certificate. */
  ca: string;
  cert: string;
  key: string;
  caFile: string;
  certFile: string;
  keyFile: string;
}

let tlsMaterial: Promise<TlsMaterial> | undefined;
let tlsDir: string | undefined;

function runOpenssl(args: string[], cwd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile('openssl', args, { cwd, timeout: 30_000 }, (err, _stdout, stderr) =>
      err
        ? reject(new Error(`openssl ${args.join(' ')} failed: ${err.message}\n${stderr}`))
        : resolve(),
    );
  });
}

export function getTlsMaterial(): Promise<TlsMaterial> {
  tlsMaterial ??= (async () => {
    const dir = await mkdtemp(join(tmpdir(), `${TMP_PREFIX}tls-`));
    tlsDir = dir;
    trackDir(dir);
    const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
    const caSubject = '/CN=nestjs-kvs-test-ca';
    const caExt = ['-addext', 'basicConstraints=critical,CA:TRUE'];
    caExt.push('-addext', 'keyUsage=critical,keyCertSign,cRLSign');
    await runOpenssl(
      [
        ...'req -x509 -new -keyout ca.key -out ca.crt -days 3'.split(' '),
        ...ec,
        '-subj',
        caSubject,
        ...caExt,
      ],
      dir,
    );
    await runOpenssl(
      ['req', '-new', ...ec, '-keyout', 'redis.key', '-out', 'redis.csr', '-subj', '/CN=localhost'],
      dir,
    );
    await writeFile(
      join(dir, 'ext.cnf'),
      'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n' +
        'keyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth,clientAuth\n',
    );
    const signArgs = 'x509 -req -in redis.csr -CA ca.crt -CAkey ca.key -CAcreateserial';
    await runOpenssl(
      [...signArgs.split(' '), ...'-out redis.crt -days 3 -extfile ext.cnf'.split(' ')],
      dir,
    );
    const caFile = join(dir, 'ca.crt');
    const certFile = join(dir, 'redis.crt');
    const keyFile = join(dir, 'redis.key');
    return {
      ca: await readFile(caFile, 'utf8'),
      cert: await readFile(certFile, 'utf8'),
      key: await readFile(keyFile, 'utf8'),
      caFile,
      certFile,
      keyFile,
    };
  })();
  return tlsMaterial;
}

/** Forget the material and remove its dir (stopAll); the next getTlsMaterial() makes new material. */
export async function releaseTlsMaterial(): Promise<void> {
  if (tlsDir !== undefined) {
    const dir = tlsDir;
    tlsDir = undefined;
    tlsMaterial = undefined;
    await removeDir(dir);
  }
}
