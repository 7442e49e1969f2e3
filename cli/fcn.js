#!/usr/bin/env node
// `npx fcn`: a plain-JS entry so npm can link it; the commands are TypeScript that Node >= 22.18
// runs directly (the project brings Node 24 as a devDependency, first on PATH under npm/npx).
const [major, minor] = process.versions.node.split(".").map(Number);
if (major < 22 || (major === 22 && minor < 18)) {
  console.error(
    `fcn needs Node >= 22.18 (this is ${process.version}); run it as \`npx fcn\` after \`npm ci\`.`,
  );
  process.exit(1);
}
await import("./main.ts");
