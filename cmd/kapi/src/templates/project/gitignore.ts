/** .gitignore of a new project: build output, dependencies, and what `kapi run local` keeps in .kapi/. */
export function gitignore(): string {
  return ['node_modules/', 'dist/', '.kapi/', '*.tsbuildinfo', 'coverage/', ''].join('\n');
}
