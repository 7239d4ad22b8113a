// Writes test/clients/shell: generateClient (the library function behind `kapi generate client`)
// of test/aggregation/connect-server.ts's kind, from the built modules (run `npx tsc -b` first).
// With --print, prints the files as JSON instead (generated.test.ts compares them).
const { mkdirSync, writeFileSync } = require('node:fs');
const { dirname, join } = require('node:path');
const repo = join(__dirname, '../..');
const { generateClient } = require(join(repo, 'cmd/kapi/dist/codegen/client.js'));
const { flunderKind } = require(join(repo, 'test/dist/aggregation/connect-server.js'));

const files = generateClient([flunderKind]);
if (process.argv.includes('--print')) {
  process.stdout.write(JSON.stringify(files));
} else {
  for (const file of files) {
    const path = join(repo, 'test/clients', file.path);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, file.content);
  }
}
