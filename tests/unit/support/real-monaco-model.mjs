// Runs scenarios against Monaco 0.57's real TextModel (the ESM build, loaded straight from
// node_modules in a plain Node process, since Jest's CommonJS runtime cannot load it).
// stdin: JSON array of scenarios; stdout: JSON array of results. Used by monaco-parity.test.ts.
const root = new URL('../../../node_modules/monaco-editor/esm/vs/', import.meta.url).href;
const load = (p) => import(root + p);

const { TextModel } = await load('editor/common/model/textModel.js');
const { LanguageService } = await load('editor/common/services/languageService.js');
const { LanguageConfigurationService, ILanguageConfigurationService } = await load('editor/common/languages/languageConfigurationRegistry.js');
const { InstantiationService } = await load('platform/instantiation/common/instantiationService.js');
const { ServiceCollection } = await load('platform/instantiation/common/serviceCollection.js');
const { ILanguageService } = await load('editor/common/languages/language.js');
const { IUndoRedoService } = await load('platform/undoRedo/common/undoRedo.js');
const { UndoRedoService } = await load('platform/undoRedo/common/undoRedoService.js');
const { ITreeSitterLibraryService } = await load('editor/common/services/treeSitter/treeSitterLibraryService.js');

const languages = new LanguageService();
const services = new ServiceCollection();
services.set(ILanguageService, languages);
services.set(
  ILanguageConfigurationService,
  new LanguageConfigurationService({ onDidChangeConfiguration: () => ({ dispose() {} }), getValue: () => undefined }, languages),
);
services.set(
  IUndoRedoService,
  new UndoRedoService({ confirm: async () => ({ confirmed: true }), prompt: async () => ({}) }, { notify() {}, info() {}, warn() {}, error() {} }),
);
// Tree-sitter tokenization is irrelevant to text editing; report every language as unsupported.
services.set(ITreeSitterLibraryService, {
  _serviceBrand: undefined,
  supportsLanguage: () => false,
  getParserClass: async () => {
    throw new Error('unsupported');
  },
  getLanguage: () => undefined,
  getInjectionQueries: () => undefined,
  getHighlightingQueries: () => undefined,
});
const instantiation = new InstantiationService(services, true);

export function createModel(text) {
  return instantiation.createInstance(TextModel, text, 'plaintext', TextModel.DEFAULT_CREATION_OPTIONS, null);
}

const plainRange = (r) => ({ startLineNumber: r.startLineNumber, startColumn: r.startColumn, endLineNumber: r.endLineNumber, endColumn: r.endColumn });

function run(scenario) {
  const model = createModel(scenario.text);
  const events = [];
  model.onDidChangeContent((e) =>
    events.push({
      changes: e.changes.map((c) => ({ range: plainRange(c.range), rangeOffset: c.rangeOffset, rangeLength: c.rangeLength, text: c.text })),
      eol: e.eol,
      isFlush: e.isFlush,
      isEolChange: e.isEolChange,
    }),
  );
  const results = [];
  for (const step of scenario.steps) {
    try {
      switch (step.kind) {
        case 'applyEdits':
          model.applyEdits(step.edits);
          results.push(null);
          break;
        case 'setEOL':
          model.setEOL(step.eol);
          results.push(null);
          break;
        case 'setValue':
          model.setValue(step.text);
          results.push(null);
          break;
        case 'getOffsetAt':
          results.push(model.getOffsetAt(step.position));
          break;
        case 'getPositionAt': {
          const p = model.getPositionAt(step.offset);
          results.push({ lineNumber: p.lineNumber, column: p.column });
          break;
        }
        case 'getValueInRange':
          results.push(model.getValueInRange(step.range));
          break;
        default:
          throw new Error('unknown step ' + step.kind);
      }
    } catch (e) {
      results.push({ error: String(e && e.message) });
    }
  }
  return { value: model.getValue(), eol: model.getEOL(), lineCount: model.getLineCount(), events, results };
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop())) {
  let input = '';
  process.stdin.setEncoding('utf8');
  for await (const chunk of process.stdin) input += chunk;
  process.stdout.write(JSON.stringify(JSON.parse(input).map(run)));
}
