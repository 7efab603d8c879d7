/**
 * The headless model (tests/helpers/text-model.ts) must behave like Monaco's real TextModel, or
 * every binding test built on it proves nothing. This runs the same random scenarios through
 * both: the real Monaco 0.57 TextModel in a child Node process (Jest cannot load Monaco's ESM)
 * and the headless model here, and requires identical text, EOL, events and answers.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import fc from 'fast-check';
import type { RangeLike } from '../../lib/binding/editor-port';
import { HeadlessTextModel } from '../helpers/text-model';
import { propertyConfig, trickyTextWithCr } from './support/property';

type Step =
  | { kind: 'applyEdits'; edits: Array<{ range: RangeLike; text: string }> }
  | { kind: 'setEOL'; eol: number }
  | { kind: 'setValue'; text: string }
  | { kind: 'getOffsetAt'; position: { lineNumber: number; column: number } }
  | { kind: 'getPositionAt'; offset: number }
  | { kind: 'getValueInRange'; range: RangeLike };

interface Scenario {
  text: string;
  steps: Step[];
}

const position = fc.record({ lineNumber: fc.integer({ min: -1, max: 7 }), column: fc.integer({ min: -1, max: 12 }) });
const range = fc
  .tuple(position, position)
  .map(([s, e]) => ({ startLineNumber: s.lineNumber, startColumn: s.column, endLineNumber: e.lineNumber, endColumn: e.column }));
// Inserted text may carry CRLF but no lone CR: Monaco 0.57 mangles a lone CR inserted into a CRLF
// model (inserting "X\r" before "\r\n" reports "X" and drops a line break). The binding keeps
// models LF, where a lone CR is normalised like any other line break (binding tests cover it).
/** Model contents; a lone CR at the very end is avoided because Monaco's buffer builder turns it into two line breaks. */
const modelText = (max: number): fc.Arbitrary<string> => trickyTextWithCr(max).map((t) => t.replace(/\r$/, '\r\n'));
const text = trickyTextWithCr(12).map((t) => t.replace(/\r(?!\n)/g, '\r\n'));

/** Edits on distinct lines, each within its line, so they can never overlap (Monaco trims overlaps, the headless model throws). */
const multiLineEdits = fc
  .uniqueArray(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 4 })
  .chain((lines) =>
    fc.tuple(
      ...lines.map((line) =>
        fc.record({
          range: fc
            .tuple(fc.integer({ min: 1, max: 9 }), fc.integer({ min: 0, max: 4 }))
            .map(([c, len]) => ({ startLineNumber: line, startColumn: c, endLineNumber: line, endColumn: c + len })),
          text,
        }),
      ),
    ),
  );

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ range, text }).map((edit) => ({ kind: 'applyEdits' as const, edits: [edit] })),
  multiLineEdits.map((edits) => ({ kind: 'applyEdits' as const, edits })),
  fc.tuple(position, text, text).map(([p, t1, t2]) => {
    const r = { startLineNumber: p.lineNumber, startColumn: p.column, endLineNumber: p.lineNumber, endColumn: p.column };
    return { kind: 'applyEdits' as const, edits: [{ range: r, text: t1 }, { range: r, text: t2 }] };
  }),
  fc.constantFrom(0, 1).map((eol) => ({ kind: 'setEOL' as const, eol })),
  modelText(12).map((t) => ({ kind: 'setValue' as const, text: t })),
  position.map((p) => ({ kind: 'getOffsetAt' as const, position: p })),
  fc.integer({ min: -2, max: 40 }).map((offset) => ({ kind: 'getPositionAt' as const, offset })),
  range.map((r) => ({ kind: 'getValueInRange' as const, range: r })),
);

const scenarios = fc.sample(fc.record({ text: modelText(24), steps: fc.array(step, { minLength: 1, maxLength: 8 }) }), {
  ...propertyConfig<Scenario>(300),
});

function runHeadless(scenario: Scenario): unknown {
  const model = new HeadlessTextModel(scenario.text);
  const events: unknown[] = [];
  model.onDidChangeContent((e) =>
    events.push({
      changes: e.changes.map((c) => ({ range: { ...c.range }, rangeOffset: c.rangeOffset, rangeLength: c.rangeLength, text: c.text })),
      eol: e.eol,
      isFlush: e.isFlush,
      isEolChange: e.isEolChange,
    }),
  );
  const results = scenario.steps.map((s) => {
    try {
      switch (s.kind) {
        case 'applyEdits':
          model.applyEdits(s.edits);
          return null;
        case 'setEOL':
          model.setEOL(s.eol);
          return null;
        case 'setValue':
          model.setValue(s.text);
          return null;
        case 'getOffsetAt':
          return model.getOffsetAt(s.position);
        case 'getPositionAt': {
          const p = model.getPositionAt(s.offset);
          return { lineNumber: p.lineNumber, column: p.column };
        }
        case 'getValueInRange':
          return model.getValueInRange(s.range);
      }
    } catch (e) {
      return { error: String((e as Error).message) };
    }
  });
  return { value: model.getValue(), eol: model.getEOL(), lineCount: model.getLineCount(), events, results };
}

describe('headless text model vs real Monaco TextModel', () => {
  const script = path.join(__dirname, 'support', 'real-monaco-model.mjs');
  let real: unknown[];

  beforeAll(() => {
    real = JSON.parse(execFileSync(process.execPath, [script], { input: JSON.stringify(scenarios), maxBuffer: 64 * 1024 * 1024 }).toString('utf8')) as unknown[];
  }, 60_000);

  test('[P-DOC-3] offsets, positions, EOL handling and change events match Monaco 0.57 on random edits', () => {
    expect(real).toHaveLength(scenarios.length);
    scenarios.forEach((scenario, i) => {
      const headless = runHeadless(scenario);
      try {
        expect(headless).toEqual(real[i]);
      } catch (error) {
        throw new Error(`scenario ${i} differs: ${JSON.stringify(scenario)}\n${(error as Error).message}`);
      }
    });
  });
});
