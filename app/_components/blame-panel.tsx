'use client';

import { useMemo } from 'react';
import type { BlameView } from '../../lib/review/review-api';
import { CodePointIndex } from '../../lib/text/offsets';
import { api } from '../_lib/api';
import { useResource } from '../_lib/use-resource';

/** Colours in globals.css (.blame-c0 … .blame-c7); more authors than that share them. */
const PALETTE_SIZE = 8;

const SOURCE_LABEL: Record<string, string> = {
  typed: 'typed',
  pasted: 'pasted',
  starter: 'starter',
  teacher: 'teacher',
  ai: 'AI',
  server: 'server',
};

/** How an op was made, as a small badge; pasted text stands out. */
export function SourceBadge({ source }: { source: string }) {
  return <span className={`source-badge source-${source}`}>{SOURCE_LABEL[source] ?? source}</span>;
}

interface Segment {
  text: string;
  colour: number;
  title: string;
  pasted: boolean;
}

/** Splits the blamed text into lines of coloured segments (spans are in code points). */
function blameLines(blame: BlameView, colourOf: (author: string | null) => number, nameOf: (author: string | null) => string): Segment[][] {
  const index = CodePointIndex.fromText(blame.text);
  const lines: Segment[][] = [[]];
  const push = (text: string, seg: Omit<Segment, 'text'>) => {
    const parts = text.split('\n');
    parts.forEach((part, i) => {
      if (i > 0) lines.push([]);
      if (part) lines[lines.length - 1]!.push({ ...seg, text: part });
    });
  };
  let at = 0;
  const plain = { colour: -1, title: '', pasted: false };
  for (const span of [...blame.spans].sort((a, b) => a.from - b.from)) {
    const from = index.toUtf16(span.from);
    const to = index.toUtf16(span.to);
    if (from > at) push(blame.text.slice(at, from), plain);
    if (to <= at) continue;
    const source = span.source ? ` · ${SOURCE_LABEL[span.source] ?? span.source}` : '';
    push(blame.text.slice(Math.max(at, from), to), {
      colour: colourOf(span.author),
      title: `${nameOf(span.author)}${source}${span.v !== null ? ` · version ${span.v + 1}` : ''}`,
      pasted: span.source === 'pasted',
    });
    at = to;
  }
  if (at < blame.text.length) push(blame.text.slice(at), plain);
  return lines;
}

/**
 * Who wrote what: the current text with every character range tinted by its author, a legend,
 * and each author's share (characters still there, inserted and deleted overall, ops).
 */
export function BlamePanel({ workspaceId, fileId }: { workspaceId: string; fileId: string }) {
  const blame = useResource(() => api.blame(workspaceId, fileId), `${workspaceId}:${fileId}`);
  const data = blame.data?.fileId === fileId ? blame.data : null;

  const view = useMemo(() => {
    if (!data) return null;
    const names = new Map(data.authors.map((a) => [a.id, a.displayName]));
    const order = new Map<string | null, number>();
    data.authors.forEach((a, i) => order.set(a.id, i % PALETTE_SIZE));
    const colourOf = (author: string | null) => (author === null ? PALETTE_SIZE : (order.get(author) ?? PALETTE_SIZE));
    const nameOf = (author: string | null) => (author === null ? 'Starter / Tandem' : (names.get(author) ?? 'Former member'));
    const total = data.contributions.reduce((n, c) => n + c.chars, 0) || 1;
    const contributions = [...data.contributions]
      .sort((a, b) => b.chars - a.chars)
      .map((c) => ({ ...c, name: nameOf(c.author), colour: colourOf(c.author), share: Math.round((c.chars / total) * 100) }));
    return { lines: blameLines(data, colourOf, nameOf), contributions };
  }, [data]);

  if (blame.error && !data) {
    return (
      <p className="field-error" role="alert">
        {blame.error.message}
      </p>
    );
  }
  if (!view || !data) return <p className="card-sub review-pad">Loading blame…</p>;
  return (
    <div className="blame" data-testid="blame">
      <table className="table blame-legend" data-testid="blame-legend">
        <thead>
          <tr>
            <th scope="col">Author</th>
            <th scope="col">Share of the text</th>
            <th scope="col">Inserted</th>
            <th scope="col">Deleted</th>
            <th scope="col">Ops</th>
          </tr>
        </thead>
        <tbody>
          {view.contributions.map((c) => (
            <tr key={c.author ?? 'none'} data-testid="blame-author">
              <td>
                <span className={`blame-swatch blame-c${c.colour}`} aria-hidden="true" /> {c.name}
              </td>
              <td>
                {c.chars} chars ({c.share}%)
              </td>
              <td>{c.insertedChars}</td>
              <td>{c.deletedChars}</td>
              <td>{c.ops}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <p className="field-hint">
        Version {data.version}. Hover a range to see who wrote it; <span className="blame-pasted-sample">underlined</span> text was pasted.
      </p>
      <pre className="blame-code" data-testid="blame-code" tabIndex={0} aria-label="Code coloured by author">
        {view.lines.map((line, i) => (
          <span key={i} className="blame-line">
            <span className="blame-ln" aria-hidden="true">
              {i + 1}
            </span>
            <span className="blame-text">
              {line.map((seg, j) =>
                seg.colour < 0 ? (
                  <span key={j}>{seg.text}</span>
                ) : (
                  <span key={j} className={`blame-c${seg.colour}${seg.pasted ? ' blame-pasted' : ''}`} title={seg.title}>
                    {seg.text}
                  </span>
                ),
              )}
              {'\n'}
            </span>
          </span>
        ))}
      </pre>
    </div>
  );
}
