// Project files for the host: samples, atomic open/save, recent files, the recovery autosave and a folder listing.
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { basename, dirname, extname, join, parse, resolve } from 'node:path';
import {
  ApiError,
  projectExtension,
  type DirectoryEntry,
  type DirectoryListing,
  type ProjectFile,
  type RecentProject,
  type Recovery,
  type SampleInfo,
  type SavedProject,
} from '../../shared/api';
import { defaultTraining, defaultUiState, parseProject, PROJECT_FORMAT, PROJECT_VERSION, ProjectFileError, serializeProject } from '../../shared/graph';

export interface ProjectStoreOptions {
  /** samples/ of the package */
  samplesDir: string;
  /** where recent.json and recovery.json live (default: $NETWRIGHT_DATA_DIR, else ~/.config/netwright) */
  dataDir?: string;
  /** the default folder of the file browser (default: $NETWRIGHT_PROJECTS_DIR, else ~/Netwright) */
  projectsDir?: string;
}

export interface ProjectStore {
  listSamples(): Promise<SampleInfo[]>;
  newProject(): Promise<ProjectFile>;
  openProject(path: string): Promise<ProjectFile>;
  saveProject(path: string, text: string): Promise<SavedProject>;
  saveProjectAs(path: string, text: string, options: { overwrite: boolean }): Promise<SavedProject>;
  recentProjects(): Promise<RecentProject[]>;
  writeRecovery(text: string | null, path: string | null): Promise<null>;
  readRecovery(): Promise<Recovery | null>;
  listDirectory(path: string | null): Promise<DirectoryListing>;
}

const maxRecent = 12;

function errnoCode(error: unknown): string {
  return typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : '';
}

function fileError(error: unknown, action: string, path: string): ApiError {
  const code = errnoCode(error);
  if (code === 'ENOENT') return new ApiError('E_FILE_NOT_FOUND', `Cannot ${action} ${path}: it does not exist; pick another file or folder.`);
  if (code === 'EACCES' || code === 'EPERM') return new ApiError('E_FILE_IO', `Cannot ${action} ${path}: permission denied; pick a folder you can write to.`);
  if (code === 'EISDIR') return new ApiError('E_FILE_IO', `Cannot ${action} ${path}: it is a folder; give a file name.`);
  const message = error instanceof Error ? error.message : String(error);
  return new ApiError('E_FILE_IO', `Cannot ${action} ${path}: ${message}`);
}

function validate(text: string, path: string): { text: string; migrations: string[]; name: string } {
  try {
    const { project, migrations } = parseProject(text);
    return { text: serializeProject(project), migrations: [...migrations], name: project.name };
  } catch (error: unknown) {
    if (error instanceof ProjectFileError) throw new ApiError('E_PROJECT_INVALID', `${path}: ${error.code}: ${error.message}`);
    throw error;
  }
}

/** Writes `text` to `path` so that a crash leaves either the old or the new file: temp file, fsync, rename, fsync dir. */
export async function writeFileAtomic(path: string, text: string): Promise<void> {
  const temp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await open(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o644);
  try {
    await handle.writeFile(text, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await rename(temp, path);
  } catch (error: unknown) {
    await rm(temp, { force: true });
    throw error;
  }
  // The rename is durable only once the directory entry is; some platforms refuse to open a directory.
  try {
    const dir = await open(dirname(path), 'r');
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  } catch {
    // best effort
  }
}

function isProjectName(name: string): boolean {
  return name.endsWith(projectExtension) || extname(name) === '.json';
}

export function createProjectStore(options: ProjectStoreOptions): ProjectStore {
  const dataDir = resolve(options.dataDir ?? process.env['NETWRIGHT_DATA_DIR'] ?? join(process.env['XDG_CONFIG_HOME'] ?? join(homedir(), '.config'), 'netwright'));
  const projectsDir = resolve(options.projectsDir ?? process.env['NETWRIGHT_PROJECTS_DIR'] ?? join(homedir(), 'Netwright'));
  const recentFile = join(dataDir, 'recent.json');
  const recoveryFile = join(dataDir, 'recovery.json');

  const readRecent = async (): Promise<{ path: string; name: string; openedAt: string }[]> => {
    try {
      const parsed: unknown = JSON.parse(await readFile(recentFile, 'utf8'));
      if (!Array.isArray(parsed)) return [];
      return parsed.filter(
        (item): item is { path: string; name: string; openedAt: string } =>
          typeof item === 'object' && item !== null && typeof item.path === 'string' && typeof item.name === 'string' && typeof item.openedAt === 'string',
      );
    } catch {
      return []; // a missing or damaged list starts empty
    }
  };
  const remember = async (path: string, name: string): Promise<void> => {
    const list = (await readRecent()).filter((item) => item.path !== path);
    list.unshift({ path, name, openedAt: new Date().toISOString() });
    await mkdir(dataDir, { recursive: true });
    await writeFileAtomic(recentFile, `${JSON.stringify(list.slice(0, maxRecent), null, 2)}\n`);
  };

  const save = async (path: string, text: string, overwrite: boolean): Promise<SavedProject> => {
    const target = resolve(path);
    const checked = validate(text, target);
    if (!overwrite) {
      const exists = await stat(target).then(
        () => true,
        () => false,
      );
      if (exists) throw new ApiError('E_FILE_EXISTS', `${target} already exists; choose another name or confirm replacing it.`);
    }
    try {
      await mkdir(dirname(target), { recursive: true });
      await writeFileAtomic(target, checked.text);
    } catch (error: unknown) {
      throw fileError(error, 'save', target);
    }
    await remember(target, checked.name);
    return { path: target, savedAt: new Date().toISOString() };
  };

  return {
    async listSamples() {
      let names: string[];
      try {
        names = (await readdir(options.samplesDir)).filter((name) => name.endsWith('.json')).sort();
      } catch (error: unknown) {
        throw fileError(error, 'list the samples in', options.samplesDir);
      }
      const samples: SampleInfo[] = [];
      for (const name of names) {
        const text = await readFile(join(options.samplesDir, name), 'utf8');
        const checked = validate(text, name);
        const { project } = parseProject(checked.text);
        samples.push({ id: parse(name).name, name: project.name, description: project.description, text: checked.text });
      }
      return samples;
    },
    newProject() {
      const text = serializeProject({
        format: PROJECT_FORMAT,
        version: PROJECT_VERSION,
        name: 'Untitled',
        description: '',
        graph: { nodes: [], edges: [], groups: [] },
        training: defaultTraining(),
        ui: defaultUiState(),
      });
      return Promise.resolve({ path: '', text, migrations: [] });
    },
    async openProject(path) {
      const target = resolve(path);
      let text: string;
      try {
        text = await readFile(target, 'utf8');
      } catch (error: unknown) {
        throw fileError(error, 'open', target);
      }
      const checked = validate(text, target);
      await remember(target, checked.name);
      return { path: target, text: checked.text, migrations: checked.migrations };
    },
    saveProject: (path, text) => save(path, text, true),
    saveProjectAs: (path, text, { overwrite }) => save(path, text, overwrite),
    async recentProjects() {
      const list = await readRecent();
      return Promise.all(
        list.map(async (item) => ({
          ...item,
          exists: await stat(item.path).then(
            (info) => info.isFile(),
            () => false,
          ),
        })),
      );
    },
    async writeRecovery(text, path) {
      try {
        if (text === null) {
          await rm(recoveryFile, { force: true });
        } else {
          await mkdir(dataDir, { recursive: true });
          await writeFileAtomic(recoveryFile, JSON.stringify({ text, path, savedAt: new Date().toISOString() }));
        }
      } catch (error: unknown) {
        throw fileError(error, 'write the recovery file', recoveryFile);
      }
      return null;
    },
    async readRecovery() {
      try {
        const parsed: unknown = JSON.parse(await readFile(recoveryFile, 'utf8'));
        if (typeof parsed !== 'object' || parsed === null) return null;
        const record = parsed as Record<string, unknown>;
        const { text, path, savedAt } = record;
        if (typeof text !== 'string' || typeof savedAt !== 'string' || (path !== null && typeof path !== 'string')) return null;
        return { text, path, savedAt };
      } catch {
        return null; // no recovery file (the usual case) or a damaged one
      }
    },
    async listDirectory(path) {
      const dir = resolve(path ?? projectsDir);
      if (path === null) await mkdir(dir, { recursive: true }).catch(() => undefined);
      let dirents;
      try {
        dirents = await readdir(dir, { withFileTypes: true });
      } catch (error: unknown) {
        throw fileError(error, 'list', dir);
      }
      const entries: DirectoryEntry[] = dirents
        .filter((entry) => !entry.name.startsWith('.'))
        .map((entry): DirectoryEntry => ({
          name: entry.name,
          kind: entry.isDirectory() ? 'directory' : isProjectName(entry.name) ? 'project' : 'file',
        }))
        .sort((a, b) => Number(b.kind === 'directory') - Number(a.kind === 'directory') || a.name.localeCompare(b.name));
      const parent = dirname(dir);
      return { path: dir, parent: parent === dir ? null : parent, entries, projectsDir };
    },
  };
}
