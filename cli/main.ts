/** `npx fcn <command>`: dispatch to one module per command, each with its own --help. */
import { commands } from "./commands/index.ts";

const USAGE = `fcn: Fully Convolutional Networks for semantic segmentation

Usage: npx fcn <command> [options]

Commands:
${Object.entries(commands)
  .map(([name, c]) => `  ${name.padEnd(10)} ${c.summary}`)
  .join("\n")}

Run \`npx fcn <command> --help\` for a command's options.`;

const [name, ...rest] = process.argv.slice(2);
if (!name || name === "--help" || name === "-h" || name === "help") {
  console.log(USAGE);
  process.exit(name ? 0 : 1);
}
const command = commands[name];
if (!command) {
  console.error(`fcn: unknown command "${name}"\n\n${USAGE}`);
  process.exit(2);
}
if (rest.includes("--help") || rest.includes("-h")) {
  console.log(command.help);
  process.exit(0);
}
try {
  process.exitCode = (await command.run(rest)) ?? 0;
} catch (error) {
  const message = error instanceof Error ? error.message : String(error);
  console.error(`fcn ${name}: ${message}`);
  process.exitCode = 1;
}
