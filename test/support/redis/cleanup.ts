/** stopAll(): the one call a suite makes in afterAll. */
import { allServers } from './process.js';
import { releaseTlsMaterial } from './tls.js';
import { releaseWatchdogIfIdle } from './watchdog.js';

/** Stop every server, cluster node and sentinel this module started; remove temp dirs. */
export async function stopAll(): Promise<void> {
  const servers = [...allServers];
  const results = await Promise.allSettled(servers.map((s) => s.stop()));
  await releaseTlsMaterial();
  releaseWatchdogIfIdle();
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed !== undefined)
    throw failed.reason instanceof Error ? failed.reason : new Error(String(failed.reason));
}
