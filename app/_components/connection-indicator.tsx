'use client';

import type { ConnectionState } from '../_lib/use-session';

function describe({ status, unsent }: ConnectionState): { label: string; detail: string } {
  const edits = `${unsent} unsent edit${unsent === 1 ? '' : 's'}`;
  switch (status) {
    case 'connecting':
      return { label: 'Connecting…', detail: 'Connecting to the server.' };
    case 'connected':
      return unsent === 0
        ? { label: 'Saved', detail: 'Connected. All changes are saved.' }
        : { label: 'Saving…', detail: `Connected. Sending ${edits}.` };
    case 'reconnecting':
      return {
        label: unsent > 0 ? `Reconnecting · ${unsent} unsent` : 'Reconnecting…',
        detail: `Connection lost; trying again. ${unsent > 0 ? `Your ${edits} are kept and will be sent.` : ''}`.trim(),
      };
    case 'offline':
      return {
        label: unsent > 0 ? `Offline · ${unsent} unsent` : 'Offline',
        detail: `You are offline. ${unsent > 0 ? `Your ${edits} are kept and will sync when you are back.` : 'Keep typing; your edits will sync when you are back.'}`,
      };
  }
}

/**
 * Connected / reconnecting / offline, plus unsent edits. `data-status` and `data-unsent` are
 * the stable hooks for tests; the visible text is for people.
 */
export function ConnectionIndicator({ state }: { state: ConnectionState }) {
  const { label, detail } = describe(state);
  return (
    <div className="conn" data-testid="connection-status" data-status={state.status} data-unsent={state.unsent} title={detail}>
      <span className="conn-dot" aria-hidden="true" />
      <span aria-hidden="true">{label}</span>
      {/* Announce connection changes, not every save. */}
      <span className="visually-hidden" role="status" aria-live="polite">
        {state.status === 'connected' ? 'Connected' : state.status === 'connecting' ? 'Connecting' : detail}
      </span>
    </div>
  );
}
