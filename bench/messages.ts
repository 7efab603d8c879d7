import type { Target } from './bench-client';
import type { HistogramData } from './histogram';

/** IPC between the driver (load.ts) and its forked worker processes. */

export interface RoomSpec {
  /** Index of the room in the whole run (seeds its random stream). */
  index: number;
  docId: string;
  /** Server URL of each editor of the room (index = editor); unset: every editor uses the setup's `url`. */
  editorUrls?: string[];
}

export interface LoadSetup {
  type: 'setup';
  target: Target;
  url: string;
  /** Session cookie of the bench account (Tandem only; null for raw ShareDB). */
  cookie: string | null;
  rooms: RoomSpec[];
  editors: number;
  cps: number;
  seed: number;
}

export interface LoadStart {
  type: 'start';
  /** Epoch ms at which typing starts; warmup and window follow from it. */
  startEpochMs: number;
  warmupMs: number;
  durationMs: number;
}

export type DriverToLoadWorker = LoadSetup | LoadStart;

export interface RoomProblem {
  docId: string;
  problem: string;
}

export interface LoadWorkerResult {
  type: 'result';
  /** Keystroke → peer latency for every (keystroke, peer) pair typed inside the window. */
  latency: HistogramData;
  /** Keystroke → own submitOp callback, for keystrokes typed inside the window. */
  ack: HistogramData;
  keystrokesTotal: number;
  keystrokesInWindow: number;
  /** submitOp callbacks that fired inside the window (the "acked ops"). */
  ackedInWindow: number;
  ackErrors: number;
  firstAckError: string | null;
  /** Doc versions created inside the window, summed over rooms (server-side commits). */
  commitsInWindow: number;
  /** (keystroke, peer) pairs that should have arrived by the end, and those that did. */
  deliveriesExpected: number;
  deliveriesReceived: number;
  disconnects: number;
  roomsConverged: number;
  roomProblems: RoomProblem[];
  /** Time from the end of typing until every room was quiet and checked. */
  settleMs: number;
  /** CPU used by this worker inside the window. */
  cpuMs: number;
  /** This worker's event-loop delay inside the window: if high, its latencies include client lag. */
  loopDelayP99Ms: number;
  loopDelayMaxMs: number;
}

export type LoadWorkerToDriver =
  | { type: 'ready'; connectMs: number; clients: number }
  | LoadWorkerResult
  | { type: 'error'; message: string };

export interface IdleSetup {
  type: 'setup';
  target: Target;
  url: string;
  cookie: string | null;
  docIds: string[];
  /** This worker opens connections [first, first + count) of the run; connection i uses doc i % docIds.length. */
  first: number;
  count: number;
  concurrency: number;
}

export type DriverToIdleWorker = IdleSetup | { type: 'status' } | { type: 'close' };

export type IdleWorkerToDriver =
  | { type: 'ready'; connected: number; failed: number; firstError: string | null; connectMs: number }
  | { type: 'status'; connected: number; disconnects: number }
  | { type: 'error'; message: string };
