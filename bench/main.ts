/**
 * `npm run bench -- <name>`: runs one benchmark. Each one measures our code next to a raw
 * baseline in the same run and prints the ratio against its target.
 */
const benches: Record<string, () => Promise<void>> = {
  bus: async () => (await import('./bus.bench')).runBusBench(),
  media: async () => (await import('./media.bench')).runMediaBench(),
  gateway: async () => (await import('./gateway.bench')).runGatewayBench(),
  send: async () => (await import('./send.bench')).runSendBench(),
  export: async () => (await import('./export.bench')).runExportBench(),
};

async function main(): Promise<void> {
  const name = process.argv[2];
  const run = name ? benches[name] : undefined;
  if (!run) {
    console.error(`usage: npm run bench -- <${Object.keys(benches).join('|')}>`);
    process.exit(2);
  }
  await run();
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
