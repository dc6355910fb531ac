// Types for ensure-images.mjs (the image scripts are plain Node ESM: they run before any TypeScript build).
export class ImageBuildError extends Error {
  image?: string;
  logPath?: string;
}
export function isImageBuildError(e: unknown): e is ImageBuildError;

export type ImageName = 'base' | 'pause' | 'agent' | 'operator';
export const IMAGE_NAMES: readonly ImageName[];

export interface BuiltImage {
  /** The reference in buildah's storage (and in the archive's index): the one to run or import. */
  ref: string;
  /** An OCI archive of it: `ctr -n k8s.io images import <archive>` makes `ref` exist in containerd. */
  archive: string;
  /** The content key the image was built from (a label on it; the tag of agent and operator). */
  key: string;
  /** False when an image of this key was already there (or was restored from its archive). */
  built: boolean;
  seconds: number;
}

export interface AppImage extends BuiltImage {
  /** localhost/tapline/<name>:dev, the same image. */
  devRef: string;
}

export interface Images {
  /** localhost/tapline/node:20.20.2-bookworm, the Dockerfiles' base here. */
  node: BuiltImage;
  /** localhost/tapline/pause:3.10, containerd's sandbox image. */
  pause: BuiltImage;
  /** localhost/tapline/agent:<key>. */
  agent: AppImage;
  /** localhost/tapline/operator:<key>. */
  operator: AppImage;
}

/** Builds what is missing (one at a time) and returns every image asked for; `only` defaults to all four. */
export function ensureImages<K extends ImageName = ImageName>(options?: {
  log?: (message: string) => void;
  only?: readonly K[];
}): Promise<Pick<Images, (K extends 'base' ? 'node' : K) | (K extends 'agent' | 'operator' ? 'node' : never)>>;
