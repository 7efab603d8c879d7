/** IPC between the reconnect-storm driver (reconnect-storm.ts) and its reconnect-worker processes. */

export interface ReconnectDocSpec {
  /** Index of the doc in the whole run (seeds its editors' random streams). */
  index: number;
  docId: string;
}

export interface ReconnectSetup {
  type: 'setup';
  url: string;
  /** Session cookie of the bench account: every client is that account in its own tab. */
  cookie: string | null;
  /** This worker holds every client of these docs, so it can compare them with each other. */
  docs: ReconnectDocSpec[];
  /** Index of this worker's first client in the whole run (names the clients). */
  firstClient: number;
  perDoc: number;
  /** The first `editorsPerDoc` clients of each doc type; the others only watch. */
  editorsPerDoc: number;
  /** Characters per second per editor (Poisson arrivals). */
  cps: number;
  seed: number;
  /** Connections opened at once while setting up (not during the storm: there every client reconnects by itself). */
  concurrency: number;
}

export type DriverToReconnectWorker =
  | ReconnectSetup
  /** Editors start typing at this epoch ms. */
  | { type: 'type'; startEpochMs: number }
  /** The server is about to be killed at `killEpochMs`; from now on every reconnect is recorded. */
  | { type: 'killing'; killEpochMs: number }
  /** The new server logged "listening" at `listeningEpochMs`: the storm clock starts there. */
  | { type: 'restarted'; listeningEpochMs: number }
  /** Wait for quiet, then check every doc on every client and on a fresh fetch. */
  | { type: 'check'; timeoutMs: number }
  | { type: 'close' };

/** One client's reconnect, measured from the new server's "listening" (ms; null = did not happen). */
export interface ClientReconnect {
  /** Index of the client in the whole run (its name is `bench-storm-<client>`). */
  client: number;
  /** It typed (its doc had pending ops to resend). */
  editor: boolean;
  /** Until connected again, resubscribed and nothing pending (its last such moment). */
  backMs: number | null;
  /** Until its first connection attempt after the restart: time spent in a backoff timer. */
  firstAttemptMs: number | null;
  /** Connection attempts started after the restart (1 = the first one worked; 0 = the one that worked began while the server was down). */
  attempts: number;
  /** Attempts made while the server was down (where its backoff stood at the restart). */
  attemptsDuringOutage: number;
  /** Start of the attempt that worked → Socket.io `connect` (transport + handshake middleware). */
  handshakeMs: number | null;
  /** Socket.io `connect` → ShareDB handshake done, doc resubscribed and pending ops acked. */
  resyncMs: number | null;
  /** The first part of `resyncMs`: Socket.io `connect` → ShareDB `connected` (its handshake). */
  sharedbHandshakeMs: number | null;
  /** The rest: ShareDB `connected` → resubscribed and nothing pending. */
  resubscribeMs: number | null;
  /** Handshakes refused with `retryAfterMs` (load shedding or drain) after the restart. */
  refusals: number;
  /** Other failed attempts after the restart (connect errors, timeouts). */
  connectErrors: number;
  /** Times it dropped again after being back. */
  dropsAfterBack: number;
}

/** What happened to the keystrokes of one class (see KeystrokeCheck). */
export interface KeystrokeCount {
  typed: number;
  /** Present exactly once in the final text on every client and on the fresh fetch. */
  intact: number;
  /** Missing from the final text of at least one client or the fresh fetch. */
  lost: number;
  /** Present more than once somewhere. */
  duplicated: number;
}

export interface KeystrokeCheck {
  /** Acknowledged by the old server before it was killed: these were committed. */
  ackedBeforeKill: KeystrokeCount;
  /** Typed before the kill but not acknowledged by then (in flight or queued at the kill). */
  unackedAtKill: KeystrokeCount;
  /** Typed after the kill, while the editor was offline. */
  typedDuringOutage: KeystrokeCount;
}

/** Everything one client went through from the kill on, in ms after the new server's "listening". */
export interface ClientTrace {
  client: number;
  editor: boolean;
  events: Array<[ms: number, event: string]>;
}

export interface ReconnectWorkerResult {
  type: 'result';
  clients: ClientReconnect[];
  /** A few clients' whole story: this worker's first client and its slowest ones. */
  traces: ClientTrace[];
  keystrokes: KeystrokeCheck;
  docsChecked: number;
  docsConverged: number;
  problems: Array<{ docId: string; problem: string }>;
  ackErrors: number;
  firstAckError: string | null;
  /** A few distinct connect error messages seen after the restart. */
  connectErrorSamples: string[];
  /** Refusals by reason (`overloaded`, `draining`) after the restart. */
  refusalsByReason: Record<string, number>;
  /** Time the check waited for acks and for peers to reach the same version. */
  settleMs: number;
  /** This worker's event-loop delay during the storm: if high, client lag is part of the reconnect times. */
  loopDelayP99Ms: number;
  loopDelayMaxMs: number;
}

export type ReconnectWorkerToDriver =
  | { type: 'ready'; connected: number; failed: number; firstError: string | null; connectMs: number }
  /** Sent once a second after the restart. */
  | { type: 'progress'; back: number; connected: number }
  /** Every client of this worker is back; `lastBackEpochMs` is when the last one got there. */
  | { type: 'back'; lastBackEpochMs: number }
  | ReconnectWorkerResult
  | { type: 'error'; message: string };
