'use client';

import type { PairRole } from '../_lib/api';
import { initials } from '../_lib/identity';

export interface PersonView {
  clientId: string;
  name: string;
  color: string;
  /** The file they are in, if known. */
  fileName: string | null;
  self: boolean;
  /** Driver or navigator, in a pair workspace. */
  role?: PairRole | null;
}

export function Avatar({ name, color, title }: { name: string; color: string; title?: string }) {
  return (
    <span className="avatar" style={{ background: color }} title={title ?? name} aria-hidden="true">
      {initials(name)}
    </span>
  );
}

export function RoleBadge({ role }: { role: PairRole }) {
  return (
    <span className={`pair-role ${role}`} data-testid="role-badge" data-role={role}>
      {role}
    </span>
  );
}

/**
 * Who is here, in their cursor colour, and which file each person is in. Clicking someone else
 * follows them (their file and cursor); clicking again stops.
 */
export function PeopleList({
  people,
  following,
  onFollow,
}: {
  people: PersonView[];
  following: string | null;
  onFollow: (clientId: string | null) => void;
}) {
  return (
    <ul className="people-list" data-testid="people-list" aria-label="People in this workspace">
      {people.map((p) => {
        const isFollowed = following === p.clientId;
        const content = (
          <>
            <Avatar name={p.name} color={p.color} />
            <span className="person-text">
              <span className="person-name">
                {p.name}
                {p.self && <span className="you"> (you)</span>}
              </span>
              <span className="person-where">
                {p.role && <RoleBadge role={p.role} />}
                <span data-testid="person-file">{p.fileName ? `in ${p.fileName}` : 'looking around'}</span>
              </span>
            </span>
            {isFollowed && <span className="following-tag">following</span>}
          </>
        );
        return (
          <li
            key={p.clientId}
            className={`person${isFollowed ? ' followed' : ''}`}
            data-testid="person"
            data-client-id={p.clientId}
            data-name={p.name}
            data-role={p.role ?? undefined}
          >
            {p.self ? (
              <div className="person-inner">{content}</div>
            ) : (
              <button
                type="button"
                className="person-inner person-button"
                data-testid="follow-person"
                aria-pressed={isFollowed}
                title={isFollowed ? `Stop following ${p.name}` : `Follow ${p.name}: see their file and cursor`}
                onClick={() => onFollow(isFollowed ? null : p.clientId)}
              >
                {content}
                <span className="visually-hidden">{isFollowed ? ', following. Press to stop.' : ', press to follow.'}</span>
              </button>
            )}
          </li>
        );
      })}
    </ul>
  );
}

/** Compact avatars of the others, for the header; the full list is in the sidebar. */
export function AvatarStack({ people, max = 5 }: { people: PersonView[]; max?: number }) {
  if (people.length === 0) return null;
  const shown = people.slice(0, max);
  const more = people.length - shown.length;
  return (
    <div className="avatar-stack" aria-label={`${people.length} ${people.length === 1 ? 'other person' : 'others'} here`} role="img">
      {shown.map((p) => (
        <Avatar key={p.clientId} name={p.name} color={p.color} title={`${p.name}${p.self ? ' (you)' : ''}${p.fileName ? ` — ${p.fileName}` : ''}`} />
      ))}
      {more > 0 && <span className="avatar more">+{more}</span>}
    </div>
  );
}
