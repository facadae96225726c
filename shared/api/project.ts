// Project and file calls of the Api: samples, open/save (atomic on the host), recent files, recovery autosave, a file browser.
import { z } from 'zod';

/** A sample project shipped in samples/: the file's text is parsed by the renderer (shared/graph). */
export const SampleInfoSchema = z.object({
  /** file name without extension ("lenet") */
  id: z.string(),
  name: z.string(),
  description: z.string(),
  text: z.string(),
});
export type SampleInfo = z.infer<typeof SampleInfoSchema>;

/** A project file read from disk: its absolute path and its (migrated, validated) text. */
export const ProjectFileSchema = z.object({
  path: z.string(),
  text: z.string(),
  /** names of the migrations applied on open (empty when the file was current) */
  migrations: z.array(z.string()),
});
export type ProjectFile = z.infer<typeof ProjectFileSchema>;

export const SavedProjectSchema = z.object({ path: z.string(), savedAt: z.string() });
export type SavedProject = z.infer<typeof SavedProjectSchema>;

export const RecentProjectSchema = z.object({ path: z.string(), name: z.string(), openedAt: z.string(), exists: z.boolean() });
export type RecentProject = z.infer<typeof RecentProjectSchema>;

export const RecoverySchema = z.object({
  text: z.string(),
  /** the file the unsaved work belongs to; null for a project never saved */
  path: z.string().nullable(),
  savedAt: z.string(),
});
export type Recovery = z.infer<typeof RecoverySchema>;

export const DirectoryEntrySchema = z.object({
  name: z.string(),
  kind: z.enum(['directory', 'project', 'file']),
});
export const DirectoryListingSchema = z.object({
  /** absolute, normalised path of the directory listed */
  path: z.string(),
  /** null at the file system root */
  parent: z.string().nullable(),
  /** directories first, then files, each sorted by name; hidden entries left out */
  entries: z.array(DirectoryEntrySchema),
  /** the default folder for projects, for a "Projects" shortcut */
  projectsDir: z.string(),
});
export type DirectoryEntry = z.infer<typeof DirectoryEntrySchema>;
export type DirectoryListing = z.infer<typeof DirectoryListingSchema>;

/** File name ending of project files; `.json` files are listed as projects too (samples, older files). */
export const projectExtension = '.nwproj';

const path = z.string().min(1).max(4096);
/** Project files are small; this bounds what one call may carry. */
const projectText = z.string().max(32 * 1024 * 1024);

/** Parameter tuples of the project calls, kept here so api.ts gains one line per call. */
export const projectParams = {
  listSamples: z.tuple([]),
  newProject: z.tuple([]),
  openProject: z.tuple([path]),
  saveProject: z.tuple([path, projectText]),
  saveProjectAs: z.tuple([path, projectText, z.object({ overwrite: z.boolean() })]),
  recentProjects: z.tuple([]),
  writeRecovery: z.tuple([projectText.nullable(), path.nullable()]),
  readRecovery: z.tuple([]),
  listDirectory: z.tuple([path.nullable()]),
} as const;
