import { evaluate } from "./eval.ts";
import { parity } from "./parity.ts";
import { predict } from "./predict.ts";
import type { Command } from "./types.ts";

export const commands: Record<string, Command> = {
  predict,
  eval: evaluate,
  parity,
};
