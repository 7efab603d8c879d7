'use client';

import { useEffect, useId } from 'react';
import type { AiAdminStatus } from '../../lib/ai/ai-api';
import { api } from '../_lib/api';
import { ago } from '../_lib/time';
import { useResource } from '../_lib/use-resource';

/** The status is cheap to read; refresh it while the page is open so an opened circuit shows. */
const REFRESH_MS = 30_000;

function at(ms: number): string {
  return new Date(ms).toLocaleString();
}

/**
 * The administration page's "AI assistant" card: whether a model is configured (and which), its
 * last health check, the circuit breaker (OPEN means every review falls back to static analysis)
 * and the review queue. Never shows the API key: the server does not send it.
 */
export function AiAdminStatusCard() {
  const id = useId();
  const status = useResource(() => api.adminAi(), 'admin-ai');
  const { reload } = status;
  useEffect(() => {
    const timer = setInterval(reload, REFRESH_MS);
    return () => clearInterval(timer);
  }, [reload]);
  const s = status.data;
  const open = s?.circuit.state === 'open';

  return (
    <section
      className={`card ai-admin${open ? ' ai-admin-open' : ''}`}
      aria-labelledby={`${id}-title`}
      data-testid="ai-admin-status"
      data-configured={s ? String(s.configured) : undefined}
      data-circuit={s?.circuit.state}
    >
      <div className="card-head">
        <h2 id={`${id}-title`}>AI assistant</h2>
        <button type="button" className="btn small-btn" onClick={reload} disabled={status.loading}>
          Refresh
        </button>
      </div>
      {status.error && (
        <p className="field-error" role="alert">
          {status.error.message}
        </p>
      )}
      {!s && !status.error && <p className="card-sub">Loading…</p>}
      {s && <StatusBody s={s} />}
    </section>
  );
}

function StatusBody({ s }: { s: AiAdminStatus }) {
  const c = s.circuit;
  return (
    <>
      {c.state === 'open' && (
        <div className="ai-circuit-alert" role="alert" data-testid="ai-circuit-open">
          <strong>Circuit OPEN: AI reviews fall back to static analysis.</strong>
          {c.reason && <span className="ai-text"> {c.reason}</span>}
          {c.until !== null && <span> Next trial call {c.until > Date.now() ? `at ${at(c.until)}` : 'now'}.</span>}
        </div>
      )}
      <dl className="ai-admin-facts">
        <dt>Model</dt>
        <dd data-testid="ai-admin-configured">
          {s.configured && s.provider ? (
            <>
              <span className="status-badge ok">Configured</span> {s.provider.kind} · <code>{s.provider.model}</code>
              {s.provider.host && (
                <>
                  {' '}
                  at <code>{s.provider.host}</code>
                </>
              )}
            </>
          ) : (
            <>
              <span className="status-badge warn">Not configured</span> Static analysis only: no model configured
            </>
          )}
        </dd>

        <dt>Health</dt>
        <dd data-testid="ai-admin-health" data-ok={s.health ? String(s.health.ok) : undefined}>
          {!s.health ? (
            <span className="field-note">{s.configured ? 'Not checked yet' : '—'}</span>
          ) : (
            <>
              <span className={`status-badge ${s.health.ok ? 'ok' : 'danger'}`}>{s.health.ok ? 'OK' : 'Failing'}</span>
              {s.health.ms !== null && <span> {Math.round(s.health.ms)} ms</span>}
              <span className="field-note" title={at(s.health.checkedAt)}>
                {' '}
                · checked {ago(Date.now() - s.health.checkedAt)}
              </span>
              {s.health.error && <span className="ai-text ai-admin-error"> {s.health.error}</span>}
            </>
          )}
        </dd>

        <dt>Circuit</dt>
        <dd data-testid="ai-admin-circuit">
          <span className={`status-badge ${c.state === 'closed' ? 'ok' : c.state === 'open' ? 'danger' : 'warn'}`}>
            {c.state === 'closed' ? 'Closed' : c.state === 'open' ? 'OPEN' : 'Half-open (trying one call)'}
          </span>
          {c.consecutiveFailures > 0 && (
            <span>
              {' '}
              {c.consecutiveFailures} failure{c.consecutiveFailures === 1 ? '' : 's'} in a row
            </span>
          )}
          {c.lastError && <span className="ai-text ai-admin-error"> Last error: {c.lastError}</span>}
        </dd>

        <dt>Queue</dt>
        <dd data-testid="ai-admin-queue">
          {s.queue.queued} queued · {s.queue.running} running · {s.queue.done} done ·{' '}
          <span className={s.queue.failed > 0 ? 'ai-admin-failed' : undefined}>{s.queue.failed} failed</span>
        </dd>
      </dl>
    </>
  );
}
