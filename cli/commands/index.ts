import { data } from "./data.ts";
import { evaluate } from "./eval.ts";
import { jobs } from "./jobs.ts";
import { keys } from "./keys.ts";
import { parity } from "./parity.ts";
import { predict } from "./predict.ts";
import { preview } from "./preview.ts";
import type { Command } from "./types.ts";

export const commands: Record<string, Command> = {
  predict,
  eval: evaluate,
  preview,
  jobs,
  keys,
  parity,
  data,
};
