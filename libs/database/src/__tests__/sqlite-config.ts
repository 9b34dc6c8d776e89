// The suites of this folder know it by this name; the config itself is shared through @plugboard/testing.
export { sqliteTestConfig as sqliteConfig } from '@plugboard/testing';
