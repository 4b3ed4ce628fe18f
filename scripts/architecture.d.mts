/** Types of scripts/architecture.mjs (the generator of docs/architecture.md's picture). */
/** Every import between two different folders of src/, as sorted `from -> to` pairs. */
export function folderArrows(): Promise<string[]>
/** The Mermaid block for the arrows. */
export function mermaid(arrows: readonly string[]): string
/** The document with the block between the layers markers replaced; throws without the markers. */
export function withPicture(doc: string, block: string): string
