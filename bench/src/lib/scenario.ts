/**
 * A benchmark scenario: one module per file in src/scenarios/, default-exporting this shape.
 * `npm run bench -- <name> [--flag value ...]` runs one; with no name, all of them.
 */
export interface Scenario {
  readonly name: string;
  readonly description: string;
  run(args: Record<string, string>): Promise<void>;
}
