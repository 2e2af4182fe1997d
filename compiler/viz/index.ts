/** Pictures of graphs: DOT, Mermaid and SVG (browser-safe: text out). */
export { toDot } from './dot.ts';
export { toMermaid } from './mermaid.ts';
export { toSvg } from './svg.ts';
