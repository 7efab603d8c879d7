import { MonacoBinding } from '../../lib/binding/monaco-binding';
import { HeadlessEditor, HeadlessTextModel } from '../helpers/text-model';
import { connect, createBackend, createFile, openFile, serverSnapshot, settle } from './support/sharedb-harness';

test('smoke', async () => {
  const backend = createBackend();
  await createFile(backend, 'wsp001:file01', 'hello 😀 world\n');
  const peers = await Promise.all([0, 1].map(async () => {
    const doc = await openFile(connect(backend), 'wsp001:file01');
    const model = new HeadlessTextModel(doc.data as string);
    const editor = new HeadlessEditor(model);
    const binding = new MonacoBinding({ doc, model, editor });
    return { doc, model, editor, binding };
  }));
  const [a, b] = peers as [typeof peers[0], typeof peers[0]];
  a.editor.select([{ anchor: 8, head: 8 }]);
  a.editor.type('X🎉');
  b.editor.select([{ anchor: 0, head: 0 }]);
  b.editor.type('> ');
  await settle([a.doc, b.doc]);
  console.log(JSON.stringify(a.model.getValue()), JSON.stringify(b.model.getValue()), a.editor.offsetSelections(), b.editor.offsetSelections());
  const snap = await serverSnapshot(backend, 'wsp001:file01');
  expect(a.model.getValue()).toBe(snap.data);
  expect(b.model.getValue()).toBe(snap.data);
  expect(a.binding.undo()).toBe(true);
  await settle([a.doc, b.doc]);
  console.log(JSON.stringify(a.model.getValue()), JSON.stringify(b.model.getValue()));
});
