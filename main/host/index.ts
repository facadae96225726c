// main/host public surface: the Host (Api implementation), trainer launchers and package paths.
export { createHost, type Host, type HostOptions } from './host';
export { forkLauncher, TailBuffer, type ForkLauncherOptions, type TrainerExit, type TrainerLauncher, type TrainerProcess } from './launcher';
export { findPackageRoot, packagePaths, packageVersion, type PackagePaths } from './paths';
export { dispatchCall } from './dispatch';
export { RunManager, defaultRunsDir, type RunEvents, type RunManagerOptions } from './runs';
