/**
 * How `train()` reads a model's data where it is a file: installed by the platform's edge (Node:
 * `useNodeFileReader()` from 'graphc/node', which streams the file through the CSV reader); without one,
 * the engine reads no file (an http(s) URL is fetched). Kept apart from train.ts so that the edge
 * installs it without loading the engine.
 */
import type { Dataset } from './data.ts';

/**
 * Reads the file `url` (shown as `name` in errors): its CSV text, or the data set already read from it
 * (a reader that streams the file holds only the values, not the text).
 */
export type FileReader = (url: URL | string, name: string) => string | Dataset;

let readText: FileReader | null = null;

/** Installs `read` (null: none). */
export function useFileReader(read: FileReader | null): void {
  readText = read;
}

export function fileReader(): FileReader | null {
  return readText;
}
