import { readFileSync } from 'node:fs';

/**
 * Pending connections the kernel may queue for us. Linux silently caps it at net.core.somaxconn
 * (4096 by default since 5.4), so asking for more costs nothing and lets an operator who expects
 * restart storms of thousands of clients raise the sysctl alone (docs/operations.md, "Restart
 * storms"). With Node's default (511) or the kernel's 4096, a 10,000-client storm overflows the
 * queue and dropped clients wait out SYN retransmits (bench:reconnect).
 */
export const LISTEN_BACKLOG = 65_535;

/** Below this, `npm run bench:reconnect` measured dropped connections in a 10,000-client storm. */
export const STORM_READY_BACKLOG = 16_384;

/**
 * The listen queue the kernel will really give `requested`, or null where that cannot be read
 * (not Linux, or /proc hidden).
 */
export function effectiveListenBacklog(requested: number, readSysctl: () => string = readSomaxconn): number | null {
  let text: string;
  try {
    text = readSysctl();
  } catch {
    return null;
  }
  const cap = Number.parseInt(text.trim(), 10);
  if (!Number.isSafeInteger(cap) || cap <= 0) return null;
  return Math.min(requested, cap);
}

function readSomaxconn(): string {
  return readFileSync('/proc/sys/net/core/somaxconn', 'utf8');
}
