import { LISTEN_BACKLOG, effectiveListenBacklog } from '../../server/listen-backlog';

describe('effectiveListenBacklog: the listen queue the kernel really grants', () => {
  test('net.core.somaxconn caps what we ask for', () => {
    expect(effectiveListenBacklog(LISTEN_BACKLOG, () => '4096\n')).toBe(4096);
    expect(effectiveListenBacklog(LISTEN_BACKLOG, () => '16384\n')).toBe(16384);
    expect(effectiveListenBacklog(1000, () => '4096\n')).toBe(1000);
  });

  test('an unreadable or nonsensical sysctl gives null, not a guess', () => {
    expect(
      effectiveListenBacklog(LISTEN_BACKLOG, () => {
        throw new Error('ENOENT');
      }),
    ).toBeNull();
    expect(effectiveListenBacklog(LISTEN_BACKLOG, () => 'many')).toBeNull();
    expect(effectiveListenBacklog(LISTEN_BACKLOG, () => '0')).toBeNull();
  });

  test('on Linux it reads /proc/sys/net/core/somaxconn', () => {
    if (process.platform !== 'linux') {
      console.log('skipped: /proc/sys is Linux-only');
      return;
    }
    const granted = effectiveListenBacklog(LISTEN_BACKLOG);
    expect(granted).not.toBeNull();
    expect(granted!).toBeGreaterThan(0);
    expect(granted!).toBeLessThanOrEqual(LISTEN_BACKLOG);
  });
});
