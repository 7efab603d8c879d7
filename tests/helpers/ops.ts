import type { ConnectRefusal } from '../../lib/protocol';
import { RawClient } from './clients';

/** Try a fresh handshake; resolves with the refusal, or null when it connected. */
export async function tryHandshake(url: string, cookie: string): Promise<{ message: string; data: ConnectRefusal } | null> {
  const raw = new RawClient(url, cookie);
  try {
    await raw.connected();
    return null;
  } catch (err) {
    const e = err as Error & { data?: ConnectRefusal };
    return { message: e.message, data: e.data as ConnectRefusal };
  } finally {
    raw.close();
  }
}

/** The value of one series line of `/metrics`. */
export function metric(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : NaN;
}
