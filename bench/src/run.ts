import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { FlagError, splitBenchArgs } from './lib/flags.js';
import type { Scenario } from './lib/scenario.js';

const scenariosDir = join(dirname(fileURLToPath(import.meta.url)), 'scenarios');

async function loadScenarios(): Promise<Scenario[]> {
  if (!existsSync(scenariosDir)) return [];
  const files = readdirSync(scenariosDir).filter((file) => file.endsWith('.js'));
  const modules = await Promise.all(
    files.map(
      async (file) =>
        (await import(pathToFileURL(join(scenariosDir, file)).href)) as { default: Scenario },
    ),
  );
  return modules.map((module) => module.default).sort((a, b) => a.name.localeCompare(b.name));
}

const { names, flags: allFlags } = splitBenchArgs(process.argv.slice(2));
const { list, ...flags } = allFlags;
const scenarios = await loadScenarios();
if (list === 'true' || scenarios.length === 0) {
  process.stdout.write(
    scenarios.map((s) => `${s.name.padEnd(12)} ${s.description}`).join('\n') + '\n',
  );
  process.exit(0);
}
const unknown = names.filter((name) => !scenarios.some((s) => s.name === name));
if (unknown.length > 0) {
  process.stderr.write(
    `unknown benchmark(s): ${unknown.join(', ')}; known: ${scenarios.map((s) => s.name).join(', ')}\n`,
  );
  process.exit(2);
}
for (const scenario of scenarios.filter((s) => names.length === 0 || names.includes(s.name))) {
  process.stdout.write(`\n=== ${scenario.name}: ${scenario.description}\n`);
  try {
    await scenario.run(flags);
  } catch (error) {
    if (!(error instanceof FlagError)) throw error;
    process.stderr.write(`${scenario.name}: ${error.message}\n`);
    process.exit(2);
  }
}
