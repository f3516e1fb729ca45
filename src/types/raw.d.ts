// `import text from './file?raw'`: the file's text, inlined by esbuild (scripts/build.mjs) and by Vite under vitest.
declare module '*?raw' {
  const text: string;
  export default text;
}
