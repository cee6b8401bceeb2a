import type { Config } from '../config.ts';

/** One `firstcome` command, as main.ts runs it. */
export interface Command {
  /** Its whole usage: `--help` prints it on stdout, a usage error repeats it on stderr. */
  usage: string;
  /** Its actions (`events list`); each answers `--help` with the command's usage. */
  actions?: readonly string[];
  /** Checks every flag before it touches anything; a bad one throws `usageError` (parse.ts). */
  run(config: Config, args: string[]): Promise<void>;
}

/** An entry of the command list: loaded only when it runs or its usage is asked for. */
export interface CommandEntry {
  /** One line in `firstcome --help`. */
  summary: string;
  load(): Promise<Command>;
}
