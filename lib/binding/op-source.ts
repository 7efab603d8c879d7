/**
 * Op provenance (P-OP-PROV): every op a student's editor submits says how it was made, so a
 * teacher's review (blame view, paste signals) can show it. A signal, never a verdict: a modified
 * client can label a paste `typed`, but no client can claim a kind reserved to the server.
 *
 * The binding submits each op with `source: OpProvenance` and sets `doc.submitSource`, so
 * ShareDB's client sends it as `message.x.source` and composes only ops with an equal source
 * (typed ops still merge with typed ops, never with a paste). The server checks the shape
 * (server/collab/message-guards.ts) and records the kind in `op.m.source`, where the
 * server-only kinds (starter, teacher, …) live too.
 */

/** How a client says an op was made. Only these two may come from a client. */
export type OpSourceKind = 'typed' | 'pasted';

/** Every kind a client may send, for validation. */
export const CLIENT_OP_SOURCE_KINDS: readonly OpSourceKind[] = ['typed', 'pasted'];

/** Longest `binding` id the server accepts in `x.source` (ours are ~30 characters). */
export const MAX_OP_SOURCE_BINDING_LENGTH = 100;

/**
 * The `source` of an op submitted by a MonacoBinding; on the wire it is `x.source`, exactly
 * `{"binding": string, "kind": "typed" | "pasted"}` and nothing else.
 */
export interface OpProvenance {
  /** The submitting binding's unique id: echo detection (the binding never applies its own op twice). */
  readonly binding: string;
  readonly kind: OpSourceKind;
}

/** True if `value` is exactly an OpProvenance a client may send (no other keys, bounded id). */
export function isOpProvenance(value: unknown): value is OpProvenance {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const keys = Object.keys(value);
  if (keys.length !== 2 || !keys.includes('binding') || !keys.includes('kind')) return false;
  const { binding, kind } = value as { binding: unknown; kind: unknown };
  return (
    typeof binding === 'string' &&
    binding.length <= MAX_OP_SOURCE_BINDING_LENGTH &&
    (CLIENT_OP_SOURCE_KINDS as readonly unknown[]).includes(kind)
  );
}
