import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { loadConfig, ConfigError } from '../../server/config';

describe('config: one validated env module that fails fast', () => {
  test('defaults give the embedded store on port 3000', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({ port: 3000, mongodbUrl: undefined, uiEnabled: true, sqliteSynchronous: 'NORMAL', pasteSignalMinChars: 120 });
    expect(c.dataDir).toBe(path.resolve('./data'));
  });

  test('every bad variable is named in one error', () => {
    let error: unknown;
    try {
      loadConfig({ PORT: 'eighty', MONGODB_URL: 'http://x', UI_ENABLED: 'maybe', ALLOWED_ORIGINS: 'not a url', PASTE_SIGNAL_MIN_CHARS: '3' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    for (const name of ['PORT', 'MONGODB_URL', 'UI_ENABLED', 'ALLOWED_ORIGINS', 'PASTE_SIGNAL_MIN_CHARS']) expect(message).toContain(name);
  });

  test('TRUST_PROXY takes a hop count or addresses; anything else is refused', () => {
    expect(loadConfig({}).trustProxy).toBeNull();
    expect(loadConfig({ TRUST_PROXY: '1' }).trustProxy).toBe(1);
    expect(loadConfig({ TRUST_PROXY: 'loopback, 10.0.0.0/8' }).trustProxy).toBe('loopback, 10.0.0.0/8');
    expect(() => loadConfig({ TRUST_PROXY: 'x;rm -rf' })).toThrow(/TRUST_PROXY/);
  });

  test('allowed origins are normalised', () => {
    expect(loadConfig({ ALLOWED_ORIGINS: 'https://a.edu/, http://b.edu:8080' }).allowedOrigins).toEqual([
      'https://a.edu',
      'http://b.edu:8080',
    ]);
  });

  test('the process exits 78 with a clear message on bad env, before binding a port', () => {
    const entry = path.resolve(__dirname, '..', '..', 'dist', 'server', 'index.js');
    const result = spawnSync(process.execPath, [entry], {
      env: { ...process.env, PORT: '-5', SQLITE_SYNCHRONOUS: 'sometimes' } as NodeJS.ProcessEnv,
      encoding: 'utf8',
      timeout: 30_000, // module loading alone can take seconds on a loaded 2-core machine
    });
    expect(result.status).toBe(78);
    expect(result.stderr).toContain('Invalid configuration');
    expect(result.stderr).toContain('PORT');
    expect(result.stderr).toContain('SQLITE_SYNCHRONOUS');
  }, 45_000);
});
