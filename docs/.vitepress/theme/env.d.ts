// Vite's asset imports, for the type-checker (Vite resolves them at build time).
declare module '*?url' {
  const url: string;
  export default url;
}
declare module '*?raw' {
  const text: string;
  export default text;
}
