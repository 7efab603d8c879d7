import { z } from 'zod';
import { ID_PATTERN } from '../../lib/protocol';
import { MAX_FILES_PER_WORKSPACE, MAX_FILE_NAME_LENGTH } from '../../lib/limits';
import { fileNameProblem } from '../../lib/workspace';
import type { WorkspaceData } from '../../lib/workspace';

const FileEntrySchema = z.strictObject({
  name: z
    .string()
    .max(MAX_FILE_NAME_LENGTH * 2)
    .refine((n) => fileNameProblem(n) === null, 'invalid file name'),
  language: z.string().min(1).max(40),
  createdAt: z.number().int().nonnegative(),
});

/**
 * [P-DOC-4] The only shape a workspace doc may have after any op. Keys of `files` are ids, so
 * `__proto__`/`constructor` can never become keys, and names are unique within a workspace.
 */
export const WorkspaceDataSchema = z
  .strictObject({
    name: z.string().min(1).max(120),
    createdAt: z.number().int().nonnegative(),
    files: z.record(z.string().regex(ID_PATTERN), FileEntrySchema),
  })
  .refine((w) => Object.keys(w.files).length <= MAX_FILES_PER_WORKSPACE, 'too many files')
  .refine((w) => {
    const names = Object.values(w.files).map((f) => f.name);
    return new Set(names).size === names.length;
  }, 'duplicate file names');

export function isWorkspaceData(value: unknown): value is WorkspaceData {
  return WorkspaceDataSchema.safeParse(value).success;
}
