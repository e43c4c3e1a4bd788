// snowtrack/load-full: `load()` of the full build, with the same types as snowtrack/load.
export * from './load.js';
