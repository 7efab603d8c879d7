/** One simulated browser tab: its own ShareDB connection, doc, headless Monaco model/editor and binding. */
import type ShareDB from 'sharedb';
import type { Connection, Doc } from 'sharedb/lib/client';
import { MonacoBinding, type BindingErrorNotice, type MonacoBindingOptions } from '../../../lib/binding/monaco-binding';
import { HeadlessEditor, HeadlessTextModel } from '../../helpers/text-model';
import { connect, openFile } from './sharedb-harness';

export interface Peer {
  connection: Connection;
  doc: Doc;
  model: HeadlessTextModel;
  editor: HeadlessEditor;
  binding: MonacoBinding;
  errors: BindingErrorNotice[];
  deleted: number;
}

/** Opens `fileId` in a new tab. The model starts with the doc's text, as the UI would create it. */
export async function openPeer(
  backend: ShareDB,
  fileId: string,
  options: Partial<Omit<MonacoBindingOptions, 'doc' | 'model' | 'editor'>> & { modelText?: string; height?: number } = {},
): Promise<Peer> {
  const connection = connect(backend);
  const doc = await openFile(connection, fileId);
  const model = new HeadlessTextModel(options.modelText ?? (typeof doc.data === 'string' ? doc.data : ''));
  const editor = new HeadlessEditor(model, { height: options.height ?? 200 });
  const errors: BindingErrorNotice[] = [];
  const peer: Peer = { connection, doc, model, editor, errors, deleted: 0, binding: undefined as unknown as MonacoBinding };
  peer.binding = new MonacoBinding({
    ...options,
    doc,
    model,
    editor,
    onError: (e) => errors.push(e),
    onDeleted: () => {
      peer.deleted++;
    },
  });
  return peer;
}

/** The sync invariant: the model shows exactly the doc's text. */
export function expectInSync(peer: Peer): void {
  if (peer.model.getValue() !== peer.doc.data) {
    throw new Error(`model and doc differ:\nmodel ${JSON.stringify(peer.model.getValue())}\ndoc   ${JSON.stringify(peer.doc.data)}`);
  }
}
