import type { BuildOptions, Plugin } from 'esbuild';

export const rawText: Plugin;
export const common: BuildOptions;
export const requireShim: string;
export const appBuildOptions: BuildOptions & { metafile: true };
