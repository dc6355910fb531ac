// Types for build.mjs: imported, it is ensure-images.mjs.
export * from './ensure-images.mjs';
