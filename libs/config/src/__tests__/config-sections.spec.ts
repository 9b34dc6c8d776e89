import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CONFIG_SECTIONS, CONFIG_SECTION_NAMES, CONFIG_VARIABLES, sectionOf } from '..';

describe('CONFIG_SECTIONS', () => {
  it('matches the `// --- section ---` comments of config.schema.ts, variable for variable', () => {
    const schemaText = readFileSync(join(__dirname, '..', 'config.schema.ts'), 'utf8');
    const body = schemaText.slice(schemaText.indexOf('const ConfigObjectSchema'), schemaText.indexOf('type ParsedVariables'));
    const fromComments: Record<string, string[]> = {};
    let current = '';
    for (const line of body.split('\n')) {
      const header = /^\s*\/\/ --- (.+) ---$/.exec(line);
      if (header) fromComments[(current = header[1])] = [];
      const variable = /^ {2}([A-Z][A-Z0-9_]*):/.exec(line);
      if (variable && current) fromComments[current].push(variable[1]);
    }
    expect(CONFIG_SECTIONS).toEqual(fromComments);
    expect(CONFIG_SECTION_NAMES).toEqual(Object.keys(fromComments));
  });

  it('puts every variable in exactly one section', () => {
    expect(Object.values(CONFIG_SECTIONS).flat()).toEqual([...CONFIG_VARIABLES]);
    expect(sectionOf('DATABASE_HOST')).toBe('database');
    expect(sectionOf('NOPE')).toBeUndefined();
  });
});
