import type Agent from 'sharedb/lib/agent';
import type { User } from '../../prisma-free-db';

/**
 * Who is behind a ShareDB agent. Set once in the `connect` middleware from the Socket.io
 * handshake (P-TR-2); the server's own connections are marked `server` and bypass client rules.
 */
export interface ClientIdentity {
  kind: 'client';
  clientId: string;
  displayName: string;
  socketId: string;
  /** The signed-in account behind the socket; every access check is made for it. */
  user: User;
}

export type AgentIdentity = ClientIdentity | { kind: 'server'; purpose: string };

/** What the Socket.io layer hands `backend.listen()` as the request of a client agent. */
export interface ClientConnectRequest {
  clientId: string;
  socketId: string;
  user: User;
}

const IDENTITY = Symbol.for('tandem.identity');

export function setIdentity(agent: Agent, identity: AgentIdentity): void {
  (agent.custom as Record<symbol, AgentIdentity>)[IDENTITY] = identity;
}

/** An account that can do nothing: what an agent without an identity is treated as. */
const NOBODY: User = {
  id: '',
  email: '',
  displayName: 'Nobody',
  role: 'student',
  passwordHash: null,
  oidcSubject: null,
  createdAt: 0,
  disabledAt: 0,
};

/** The agent's identity; agents connected without one are a disabled nobody (WS-0). */
export function identityOf(agent: Agent): AgentIdentity {
  return (
    (agent.custom as Record<symbol, AgentIdentity | undefined>)[IDENTITY] ?? {
      kind: 'client',
      clientId: 'anonymous',
      displayName: 'Nobody',
      socketId: '',
      user: NOBODY,
    }
  );
}

export function isClientConnectRequest(req: unknown): req is ClientConnectRequest {
  const r = req as Partial<ClientConnectRequest> | null;
  return typeof r === 'object' && r !== null && typeof r.clientId === 'string' && typeof r.user === 'object' && r.user !== null;
}

/** The request object the server passes to `backend.connect()` for its own connections. */
export interface ServerConnectRequest {
  tandemServer: string;
}

export function isServerConnectRequest(req: unknown): req is ServerConnectRequest {
  return typeof req === 'object' && req !== null && typeof (req as ServerConnectRequest).tandemServer === 'string';
}
