import { KvsError } from '../../store/index.js';
import { graceMessages } from './grace.messages.js';

/**
 * A cached call waited `hardTimeout` for its load and had no graced entry to answer with. The
 * load goes on (its result is stored when it lands); `code` is `KVS_CACHE_TIMEOUT`.
 */
export class KvsCacheTimeoutError extends KvsError {
  override readonly code = 'KVS_CACHE_TIMEOUT';

  constructor(
    /** The method (`UserService.find`) or `KvsCache.wrap()`. */
    readonly label: string,
    /** The key within the namespace. */
    readonly key: string,
    /** The hardTimeout that passed, in ms. */
    readonly timeout: number,
  ) {
    super(graceMessages.hardTimeout(label, key, timeout));
  }
}
