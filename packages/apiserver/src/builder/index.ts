export { APIServerBuilder, apiServer, type APIServerOptions, type BuiltAPI, type KindOptions } from './builder.js';
export { StringEnum, defineKind, defineVersion, guessPlural, type ObjectOf, type TypedVersion } from './define.js';
