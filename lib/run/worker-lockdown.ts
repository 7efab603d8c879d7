/**
 * Takes the network away from a run's Web Worker before student code runs (issue 7 §1: "no
 * network access from the sandbox"). The worker is same-origin, so without this a program could
 * call our own API with the student's cookies, or reach anywhere the campus allows. Each name is
 * overwritten on the global and on every prototype that defines it (browsers put some on
 * WorkerGlobalScope.prototype), non-configurable, so the program cannot put it back; nested
 * workers are removed too, since a fresh worker would have a fresh `fetch`.
 */
const NETWORK = [
  'fetch',
  'XMLHttpRequest',
  'WebSocket',
  'WebSocketStream',
  'EventSource',
  'WebTransport',
  'importScripts',
  'Worker',
  'SharedWorker',
  'BroadcastChannel',
] as const;

export function lockDownNetwork(scope: object = globalThis): string[] {
  const removed: string[] = [];
  for (const name of NETWORK) {
    for (let target: object | null = scope; target; target = Object.getPrototypeOf(target) as object | null) {
      if (!Object.prototype.hasOwnProperty.call(target, name)) continue;
      try {
        Object.defineProperty(target, name, { value: undefined, writable: false, configurable: false, enumerable: false });
        removed.push(name);
      } catch {
        // A non-configurable platform property: left as is, and reported by the caller's check.
      }
    }
  }
  return removed;
}

/** Names of network entry points still reachable (should be none after lockDownNetwork). */
export function reachableNetwork(scope: object = globalThis): string[] {
  return NETWORK.filter((name) => (scope as Record<string, unknown>)[name] !== undefined);
}
