/** One entry point of a published package. */
export interface PackageEntry {
  /** The import specifier, e.g. `@lmo/core/backend`. */
  readonly specifier: string;
  /** Its TypeScript source, relative to the package (or, from `workspaceEntries`, to the root). */
  readonly source: string;
  /** The name of its built file in `dist/`, e.g. `backend`. */
  readonly name: string;
}
export declare const SOURCE_CONDITION: '@lmo/source';
export declare const ROOT: string;
export declare function packageEntries(dir: string): PackageEntry[];
export declare function workspaceEntries(): PackageEntry[];
