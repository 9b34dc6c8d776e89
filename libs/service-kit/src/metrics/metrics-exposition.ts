interface Family {
  help?: string;
  type?: string;
  samples: string[];
}

/**
 * Merges Prometheus text expositions (format 0.0.4) into one. The format wants every metric
 * family exactly once, with its HELP and TYPE lines before all of its samples, so texts that
 * share a family (the same metric of several services, told apart by their `service` label)
 * cannot simply be concatenated. The first HELP/TYPE seen for a family wins.
 */
export function mergeExpositions(texts: readonly string[]): string {
  const families = new Map<string, Family>();
  const familyOf = (name: string): Family => {
    let family = families.get(name);
    if (!family) families.set(name, (family = { samples: [] }));
    return family;
  };
  for (const text of texts) {
    let current: Family | undefined;
    for (const line of text.split('\n')) {
      if (line === '') continue;
      const meta = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
      if (meta) {
        current = familyOf(meta[2]);
        if (meta[1] === 'HELP') current.help ??= line;
        else current.type ??= line;
      } else if (!line.startsWith('#')) {
        // prom-client writes HELP and TYPE before the samples of each family, so `current` is set.
        (current ?? familyOf(/^[^{\s]+/.exec(line)?.[0] ?? line)).samples.push(line);
      }
    }
  }
  const blocks = [...families.values()].map((f) => [f.help, f.type, ...f.samples].filter((l): l is string => l !== undefined).join('\n'));
  return blocks.length ? `${blocks.join('\n\n')}\n` : '';
}
