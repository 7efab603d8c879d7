import { type as otText } from 'ot-text-unicode';
import type { CursorPresence } from '../protocol';

/**
 * ot-text-unicode plus `transformPresence`, so ShareDB moves remote cursors through ops.
 * (Placeholder until the binding module lands.)
 */
export const textType = {
  ...otText,
  transformPresence(presence: CursorPresence | null, op: unknown, _isOwnOp: boolean): CursorPresence | null {
    if (!presence) return presence;
    return {
      ...presence,
      selections: presence.selections.map((s) => ({
        anchor: otText.transformPosition(s.anchor, op as never),
        head: otText.transformPosition(s.head, op as never),
      })),
    };
  },
};
