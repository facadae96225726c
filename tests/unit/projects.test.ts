// The host's project files: samples, atomic save + open round trip, recent files, recovery, folder listing, coded errors.
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ApiError } from '../../shared/api';
import { parseProject } from '../../shared/graph';
import { createProjectStore } from '../../main/host/projects';
import { dispatchCall } from '../../main/host/dispatch';
import { createHost } from '../../main/host/host';

const samplesDir = join(import.meta.dirname, '../../samples');

function store() {
  const root = mkdtempSync(join(tmpdir(), 'nw-projects-'));
  return { root, store: createProjectStore({ samplesDir, dataDir: join(root, 'data'), projectsDir: join(root, 'projects') }) };
}

describe('project store', () => {
  it('lists every sample with its name and description', async () => {
    const samples = await store().store.listSamples();
    expect(samples.map((sample) => sample.id)).toContain('lenet');
    const lenet = samples.find((sample) => sample.id === 'lenet');
    expect(lenet?.name).toBe('LeNet');
    expect(parseProject(lenet?.text ?? '').project.graph.nodes.length).toBeGreaterThan(10);
  });

  it('saves atomically, opens the same project, and remembers recent files', async () => {
    const { root, store: projects } = store();
    const lenet = (await projects.listSamples()).find((sample) => sample.id === 'lenet');
    const path = join(root, 'projects', 'sub', 'net.nwproj');
    await projects.saveProject(path, lenet?.text ?? '');
    expect(readdirSync(join(root, 'projects', 'sub'))).toEqual(['net.nwproj']); // no temp file left behind
    const opened = await projects.openProject(path);
    expect(opened.text).toBe(lenet?.text);
    const recent = await projects.recentProjects();
    expect(recent[0]).toMatchObject({ path, name: 'LeNet', exists: true });
    await expect(projects.saveProjectAs(path, opened.text, { overwrite: false })).rejects.toMatchObject({ code: 'E_FILE_EXISTS' });
  });

  it('refuses invalid projects and missing files with coded errors', async () => {
    const { root, store: projects } = store();
    await expect(projects.saveProject(join(root, 'bad.nwproj'), '{"format":"x"}')).rejects.toMatchObject({ code: 'E_PROJECT_INVALID' });
    await expect(projects.openProject(join(root, 'missing.nwproj'))).rejects.toBeInstanceOf(ApiError);
    await expect(projects.openProject(join(root, 'missing.nwproj'))).rejects.toMatchObject({ code: 'E_FILE_NOT_FOUND' });
    writeFileSync(join(root, 'broken.nwproj'), 'not json');
    await expect(projects.openProject(join(root, 'broken.nwproj'))).rejects.toMatchObject({ code: 'E_PROJECT_INVALID' });
  });

  it('keeps and clears the recovery file', async () => {
    const { store: projects } = store();
    expect(await projects.readRecovery()).toBeNull();
    await projects.writeRecovery('{"x":1}', '/a/b.nwproj');
    expect(await projects.readRecovery()).toMatchObject({ text: '{"x":1}', path: '/a/b.nwproj' });
    await projects.writeRecovery(null, null);
    expect(await projects.readRecovery()).toBeNull();
  });

  it('lists folders first and marks project files', async () => {
    const { root, store: projects } = store();
    const first = await projects.listDirectory(null);
    expect(first.path).toBe(join(root, 'projects'));
    writeFileSync(join(root, 'projects', 'a.nwproj'), '{}');
    writeFileSync(join(root, 'projects', 'notes.txt'), '');
    writeFileSync(join(root, 'projects', '.hidden'), '');
    const listing = await projects.listDirectory(root);
    expect(listing.entries).toEqual([
      { name: 'data', kind: 'directory' },
      { name: 'projects', kind: 'directory' },
    ].filter((entry) => readdirSync(root).includes(entry.name)));
    const inner = await projects.listDirectory(join(root, 'projects'));
    expect(inner.entries).toEqual([
      { name: 'a.nwproj', kind: 'project' },
      { name: 'notes.txt', kind: 'file' },
    ]);
    expect(inner.parent).toBe(root);
    expect(readFileSync(join(root, 'projects', 'a.nwproj'), 'utf8')).toBe('{}');
  });

  it('is reachable through dispatchCall with validated parameters', async () => {
    const root = mkdtempSync(join(tmpdir(), 'nw-dispatch-'));
    const host = createHost({
      mode: 'cli',
      version: '0.0.0',
      launcher: { description: 'none', launch: () => { throw new Error('no trainer in this test'); } },
      projects: { samplesDir, dataDir: join(root, 'data'), projectsDir: join(root, 'projects') },
    });
    const created = (await dispatchCall(host, 'newProject', [])) as { text: string };
    expect(parseProject(created.text).project.graph.nodes).toEqual([]);
    await expect(dispatchCall(host, 'openProject', [42])).rejects.toMatchObject({ code: 'E_BAD_REQUEST' });
    host.dispose();
  });
});
