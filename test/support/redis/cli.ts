/** redis-cli as a child process (used for `--cluster create` and by tests that want the real CLI). */
import { execFile } from 'node:child_process';
import { cleanEnv, REDIS_CLI_BIN } from './env.js';

/** Run redis-cli with the given arguments; resolves with stdout (trimmed of the final newline). */
export function redisCli(
  args: readonly string[],
  opts: { timeoutMs?: number } = {},
): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      REDIS_CLI_BIN,
      [...args],
      { timeout: opts.timeoutMs ?? 30_000, maxBuffer: 16 * 1024 * 1024, env: cleanEnv() },
      (err, stdout, stderr) => {
        if (err !== null) {
          reject(
            new Error(
              `redis-cli ${args.join(' ')} failed: ${err.message}\nstdout: ${stdout}\nstderr: ${stderr}`,
            ),
          );
          return;
        }
        resolve(stdout.replace(/\n$/, ''));
      },
    );
  });
}
