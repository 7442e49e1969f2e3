export interface Command {
  summary: string;
  help: string;
  /** Returns the exit code (default 0); throws for errors worth one line. */
  run(args: string[]): Promise<number | undefined>;
}
