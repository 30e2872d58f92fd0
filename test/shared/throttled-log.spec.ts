import { describe, expect, it } from '@jest/globals';
import { ThrottledLog } from '../../lib/shared/throttled-log.js';

describe('ThrottledLog', () => {
  it('logs a cause at most once per interval and counts what it held back', () => {
    let now = 0;
    const lines: string[] = [];
    const log = new ThrottledLog({ warn: (m) => void lines.push(m) }, 10_000, () => now);
    for (let i = 0; i < 100; i++) log.warn('get:KVS_CONNECTION', () => 'Redis down');
    log.warn('set:TIMEOUT', () => 'slow');
    now = 10_000;
    log.warn('get:KVS_CONNECTION', () => 'Redis down');
    expect(lines).toEqual([
      'Redis down',
      'slow',
      'Redis down (99 similar in the last 10 s not logged)',
    ]);
  });
});
