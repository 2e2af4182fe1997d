/**
 * How `train()` reads a model's data where it is a file: installed by the platform's edge (Node:
 * `useNodeFileReader()` from 'graphc/node'); without one, the engine reads no file (an http(s) URL is
 * fetched). Kept apart from train.ts so that the edge installs it without loading the engine.
 */
let readText: ((url: URL | string) => string) | null = null;

/** Installs `read` (null: none). */
export function useFileReader(read: ((url: URL | string) => string) | null): void {
  readText = read;
}

export function fileReader(): ((url: URL | string) => string) | null {
  return readText;
}
