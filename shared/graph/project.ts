// Pure project-file (de)serialisation: parse → migrate → validate, and a stable serialiser.
import { migrate } from './migrations';
import { PROJECT_FORMAT, PROJECT_VERSION, ProjectSchema, type Project } from './schema';

export type ProjectErrorCode = 'E_PROJECT_JSON' | 'E_PROJECT_FORMAT' | 'E_PROJECT_VERSION' | 'E_PROJECT_SCHEMA';

/** A project file that cannot be opened; the message says what is wrong and where. */
export class ProjectFileError extends Error {
  constructor(
    readonly code: ProjectErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ProjectFileError';
  }
}

export interface ParsedProject {
  readonly project: Project;
  /** names of the migrations applied (empty when the file was current) */
  readonly migrations: readonly string[];
}

/** Parses project JSON text, migrating older versions forward. Throws ProjectFileError. */
export function parseProject(text: string): ParsedProject {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new ProjectFileError('E_PROJECT_JSON', `The project file is not valid JSON (${error instanceof Error ? error.message : String(error)}); restore it from a backup.`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ProjectFileError('E_PROJECT_FORMAT', 'The project file must contain a JSON object.');
  }
  const record = raw as Record<string, unknown>;
  if (record['format'] !== undefined && record['format'] !== PROJECT_FORMAT) {
    throw new ProjectFileError('E_PROJECT_FORMAT', `This is not a Netwright project (format is ${JSON.stringify(record['format'])}, expected "${PROJECT_FORMAT}").`);
  }
  const version = record['version'] ?? 0;
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 0) {
    throw new ProjectFileError('E_PROJECT_VERSION', `The project version ${JSON.stringify(version)} is not a whole number.`);
  }
  if (version > PROJECT_VERSION) {
    throw new ProjectFileError('E_PROJECT_VERSION', `The project was saved by a newer Netwright (file version ${version}, this app reads up to ${PROJECT_VERSION}); update Netwright to open it.`);
  }
  const { project, applied } = migrate(record);
  const result = ProjectSchema.safeParse(project);
  if (!result.success) {
    const issues = result.error.issues.slice(0, 5).map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`);
    throw new ProjectFileError('E_PROJECT_SCHEMA', `The project file does not match version ${PROJECT_VERSION}: ${issues.join('; ')}.`);
  }
  return { project: result.data, migrations: applied };
}

/** Serialises a project as stable, pretty JSON (same project → same bytes). */
export function serializeProject(project: Project): string {
  return `${JSON.stringify(ProjectSchema.parse(project), null, 2)}\n`;
}
