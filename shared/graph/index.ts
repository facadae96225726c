// Public surface of the graph model: schema, project files, migrations, analysis and errors.
export * from './schema';
export * from './project';
export * from './migrations';
export * from './analyze';
export * from './errors';
export { isSequentialRootMember, nameNodes, type Naming } from './names';
