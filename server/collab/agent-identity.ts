import type Agent from 'sharedb/lib/agent';

/**
 * Who is behind a ShareDB agent. Set once in the `connect` middleware from the Socket.io
 * handshake (P-TR-2); the server's own connections are marked `server` and bypass client rules.
 */
export type AgentIdentity =
  | { kind: 'client'; clientId: string; displayName: string; socketId: string }
  | { kind: 'server'; purpose: string };

const IDENTITY = Symbol.for('tandem.identity');

export function setIdentity(agent: Agent, identity: AgentIdentity): void {
  (agent.custom as Record<symbol, AgentIdentity>)[IDENTITY] = identity;
}

/** The agent's identity; agents connected without one are treated as anonymous clients. */
export function identityOf(agent: Agent): AgentIdentity {
  return (
    (agent.custom as Record<symbol, AgentIdentity | undefined>)[IDENTITY] ?? {
      kind: 'client',
      clientId: 'anonymous',
      displayName: 'Anonymous',
      socketId: '',
    }
  );
}

/** The request object the server passes to `backend.connect()` for its own connections. */
export interface ServerConnectRequest {
  tandemServer: string;
}

export function isServerConnectRequest(req: unknown): req is ServerConnectRequest {
  return typeof req === 'object' && req !== null && typeof (req as ServerConnectRequest).tandemServer === 'string';
}
