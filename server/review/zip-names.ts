/** A folder or file name that unzips anywhere: no separators, controls or leading dots. */
export function safeName(name: string): string {
  const cleaned = name.replace(/[\\/:*?"<>|\u0000-\u001f]/g, '_').replace(/^\.+/, '_').trim();
  return cleaned.slice(0, 80) || 'untitled';
}

/** A path inside a zip made of safe names. */
export function safePath(name: string): string {
  return name.split('/').map(safeName).join('/');
}
