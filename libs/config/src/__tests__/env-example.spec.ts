import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { CONFIG_VARIABLES, isSecretVariable, loadConfig } from '..';

const EXAMPLE_PATH = resolve(__dirname, '../../../../.env.example');
const example = readFileSync(EXAMPLE_PATH, 'utf8');
const lines = example.split('\n');
/** `NAME=value` or, for variables without a default or holding a secret, `# NAME=`. */
const VARIABLE_LINE = /^(#\s?)?([A-Z][A-Z0-9_]*)=(.*)$/;

const entries = lines.flatMap((line, index) => {
  const match = VARIABLE_LINE.exec(line);
  return match ? [{ name: match[2], commented: match[1] !== undefined, value: match[3], index }] : [];
});

describe('.env.example', () => {
  it('names exactly the variables of the config schema', () => {
    const documented = new Set(entries.map((entry) => entry.name));
    const known = new Set(CONFIG_VARIABLES);
    const missingFromExample = [...known].filter((name) => !documented.has(name));
    const unknownToSchema = [...documented].filter((name) => !known.has(name));
    expect({ missingFromExample, unknownToSchema }).toEqual({ missingFromExample: [], unknownToSchema: [] });
    expect(entries).toHaveLength(known.size);
  });

  it('describes every variable in a comment line just above it', () => {
    const undescribed = entries
      .filter(({ index }) => {
        const previous = lines[index - 1] ?? '';
        return !previous.startsWith('# ') || VARIABLE_LINE.test(previous) || previous.startsWith('# ---');
      })
      .map((entry) => entry.name);
    expect(undescribed).toEqual([]);
  });

  it('puts each variable under the header of its socket, in schema order', () => {
    expect(entries.map((entry) => entry.name)).toEqual([...CONFIG_VARIABLES]);
    const headers = lines.filter((line) => line.startsWith('# --- '));
    // The same sections, in the same order, as the `// --- x ---` comments of the schema.
    const schemaText = readFileSync(join(__dirname, '..', 'config.schema.ts'), 'utf8');
    const sections = [...schemaText.matchAll(/^\s*\/\/ --- (.+) ---$/gm)].map((match) => `# --- ${match[1]} ---`);
    expect(headers).toEqual(sections);
  });

  it('leaves secrets commented out and without a value', () => {
    const exposed = entries.filter((e) => isSecretVariable(e.name) && (!e.commented || e.value !== ''));
    expect(exposed.map((e) => e.name)).toEqual([]);
  });

  it('shows the real defaults: loading its uncommented lines changes nothing', () => {
    const cwd = mkdtempSync(join(tmpdir(), 'plugboard-env-example-'));
    try {
      const defaults = loadConfig({ env: {}, cwd });
      writeFileSync(join(cwd, '.env'), example);
      expect(loadConfig({ env: {}, cwd })).toEqual(defaults);
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  });
});
