/**
 * What the models here use of their host beyond ES2022 (Node and browsers both have it): a data file's
 * URL relative to the model. A project with @types/node or the DOM library has these declarations already.
 */
declare class URL {
  constructor(url: string | URL, base?: string | URL);
  readonly href: string;
  toString(): string;
}

interface ImportMeta {
  readonly url: string;
}
