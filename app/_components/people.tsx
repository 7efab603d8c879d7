'use client';

import { initials } from '../_lib/identity';

export interface PersonView {
  clientId: string;
  name: string;
  color: string;
  /** The file they are in, if known. */
  fileName: string | null;
  self: boolean;
}

export function Avatar({ name, color, title }: { name: string; color: string; title?: string }) {
  return (
    <span className="avatar" style={{ background: color }} title={title ?? name} aria-hidden="true">
      {initials(name)}
    </span>
  );
}

/** Who is here, in their cursor colour, and which file each person is in. */
export function PeopleList({ people }: { people: PersonView[] }) {
  return (
    <ul className="people-list" data-testid="people-list" aria-label="People in this workspace">
      {people.map((p) => (
        <li key={p.clientId} className="person" data-testid="person" data-client-id={p.clientId} data-name={p.name}>
          <Avatar name={p.name} color={p.color} />
          <span className="person-text">
            <span className="person-name">
              {p.name}
              {p.self && <span className="you"> (you)</span>}
            </span>
            <span className="person-where" data-testid="person-file">
              {p.fileName ? `in ${p.fileName}` : 'looking around'}
            </span>
          </span>
        </li>
      ))}
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
