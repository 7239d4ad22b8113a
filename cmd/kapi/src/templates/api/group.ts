/** src/apis/<group>/group.ts: the API group's name, shared by its kinds. */
export function groupModule(group: string): string {
  return `/** The API group of the kinds in this directory. */
export const GROUP = '${group}';
`;
}
